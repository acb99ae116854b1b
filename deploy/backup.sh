#!/usr/bin/env bash
# Back up a group's Credence: `credence backup` (every table as JSON, restores into SQLite or
# PostgreSQL with `credence restore FILE --replace`) and `pg_dump` (the whole database, restored
# with `pg_restore --clean --if-exists`).  Keeps the last CREDENCE_BACKUP_KEEP_DAYS days.
#
#   CREDENCE_DATABASE_URL=postgresql+psycopg://credence@127.0.0.1/credence deploy/backup.sh
#
# Environment: CREDENCE_DATABASE_URL (required), CREDENCE_BACKUP_DIR (default
# /var/backups/credence), CREDENCE_BACKUP_KEEP_DAYS (default 30), CREDENCE_VENV (default .venv).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${CREDENCE_VENV:-$root/.venv}/bin"
dir="${CREDENCE_BACKUP_DIR:-/var/backups/credence}"
keep="${CREDENCE_BACKUP_KEEP_DAYS:-30}"
: "${CREDENCE_DATABASE_URL:?set CREDENCE_DATABASE_URL to the PostgreSQL database}"
export CREDENCE_DATABASE_URL

mkdir -p "$dir"
umask 077
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
"$bin/credence" backup "$dir/credence-$stamp.json"
# pg_dump speaks libpq URLs: drop SQLAlchemy's "+driver".
pg_dump --format=custom --file "$dir/credence-$stamp.pgdump" "${CREDENCE_DATABASE_URL/+psycopg/}"
find "$dir" -maxdepth 1 -name 'credence-*' -mtime "+$keep" -delete
echo "backup.sh: $dir/credence-$stamp.json and .pgdump"
