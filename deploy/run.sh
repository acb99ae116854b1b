#!/usr/bin/env bash
# Run Credence for a group without systemd: migrate once, then start several Streamlit
# processes (nginx in front spreads browsers over them; see nginx/credence.conf).
#
#   CREDENCE_DATABASE_URL=postgresql+psycopg://credence@127.0.0.1/credence deploy/run.sh
#
# Environment (all but the database URL have defaults):
#   CREDENCE_DATABASE_URL   the shared PostgreSQL database (required)
#   CREDENCE_PORTS          ports of the app processes, default "8501 8502"
#   CREDENCE_ADDRESS        address they listen on, default 127.0.0.1 (a private address when nginx
#                           runs on another server)
#   CREDENCE_SECRETS        secrets.toml holding [auth] (team mode), default /etc/credence/secrets.toml;
#                           without that file Credence runs in laptop mode (no sign-in)
#   CREDENCE_ALLOWED_EMAILS, CREDENCE_ALLOWED_DOMAINS, CREDENCE_ADMINS   who may sign in
#   CREDENCE_VENV           the virtualenv, default .venv in the checkout (`make install`)
# Stops every process on SIGTERM or SIGINT, and all of them when one exits.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${CREDENCE_VENV:-$root/.venv}/bin"
ports="${CREDENCE_PORTS:-8501 8502}"
address="${CREDENCE_ADDRESS:-127.0.0.1}"
secrets="${CREDENCE_SECRETS:-/etc/credence/secrets.toml}"
: "${CREDENCE_DATABASE_URL:?set CREDENCE_DATABASE_URL to the PostgreSQL database}"
export CREDENCE_DATABASE_URL

# Once, before any app process opens the database.
"$bin/credence" migrate

secrets_flag=()
if [[ -f "$secrets" ]]; then
  secrets_flag=(--secrets.files "$secrets")
else
  echo "run.sh: no $secrets: laptop mode, nobody signs in" >&2
fi

pids=()
stop() { kill "${pids[@]}" 2>/dev/null || true; wait "${pids[@]}" 2>/dev/null || true; }
trap 'stop; exit 0' TERM INT
for port in $ports; do
  "$bin/streamlit" run "$root/app.py" \
    --server.headless true --server.address "$address" --server.port "$port" \
    --server.fileWatcherType none --browser.gatherUsageStats false "${secrets_flag[@]}" &
  pids+=("$!")
done
echo "run.sh: Credence on ${address}, ports ${ports} (pids ${pids[*]})" >&2

# One process exited on its own: stop the others, so a supervisor restarts the whole set.
set +e
wait -n "${pids[@]}"
status=$?
stop
exit "$status"
