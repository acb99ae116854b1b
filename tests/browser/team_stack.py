"""The pieces of a team deployment on this machine, for the sign-in browser tests.

* :func:`start_oidc`: the real OpenID Connect provider of ``tests/oidc`` (npm ``oidc-provider``).
* :func:`write_secrets`: a ``secrets.toml`` whose ``[auth]`` points Streamlit at it.
* :func:`start_app`: ``streamlit run app.py`` on a port (team mode when given secrets).
* :func:`start_nginx`: Debian's nginx with ``deploy/nginx/credence.conf`` (HTTPS with a
  self-signed certificate, the same sticky routing and WebSocket settings) in front of apps.
* :func:`sign_in`: a person signing in through the provider's login form.

Everything runs unprivileged on free ports and stops when its context manager exits.  Missing
tools (Node's packages, nginx, openssl) skip the test locally and fail it under CI.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parents[2]
OIDC_DIR = ROOT / "tests" / "oidc"
NGINX_SITE = ROOT / "deploy" / "nginx" / "credence.conf"
STARTUP_S = 60
COOKIE_SECRET = "test-only-cookie-secret-0123456789abcdef0123456789"


def require_tool(ok: bool, reason: str) -> None:
    if not ok:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(check, proc: subprocess.Popen[bytes], log: Path, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + STARTUP_S
    while not check():
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"{what} did not start:\n{log.read_text()[-4000:]}")
        time.sleep(0.1)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass(frozen=True)
class Oidc:
    port: int

    @property
    def metadata_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/.well-known/openid-configuration"


@contextmanager
def start_oidc(directory: Path, redirect_uris: list[str]) -> Iterator[Oidc]:
    """The local provider, accepting ``redirect_uris``; users ``ana`` and ``ben`` (@lab.example)."""
    node = shutil.which("node")
    require_tool(node is not None, "node is missing: install Node.js 20+ to run the sign-in tests")
    require_tool(
        (OIDC_DIR / "node_modules" / "oidc-provider").is_dir(),
        "tests/oidc/node_modules is missing: run `npm ci` in tests/oidc (.ci/run does)",
    )
    port = free_port()
    log_path = directory / "oidc.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [str(node), "oidc-provider.mjs"],
            cwd=OIDC_DIR,
            env={**os.environ, "OIDC_PORT": str(port), "OIDC_REDIRECT_URIS": ",".join(redirect_uris)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for(
                lambda: b"oidc-provider ready" in log_path.read_bytes(), proc, log_path, "oidc-provider"
            )
            yield Oidc(port)
        finally:
            _stop(proc)


def write_secrets(path: Path, redirect_uri: str, oidc: Oidc) -> Path:
    """``[auth]`` as Streamlit documents it, for the local provider (``prompt=login``: it refuses
    Streamlit's default ``select_account``)."""
    path.write_text(
        "[auth]\n"
        f'redirect_uri = "{redirect_uri}"\n'
        f'cookie_secret = "{COOKIE_SECRET}"\n'
        'client_id = "credence-test"\n'
        'client_secret = "credence-test-secret"\n'
        f'server_metadata_url = "{oidc.metadata_url}"\n'
        'client_kwargs = { prompt = "login" }\n'
    )
    return path


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
            return bool(resp.read().strip() == b"ok")
    except OSError:
        return False


#: The settings the tests' servers run with besides address and port (see :func:`start_app`).
TEST_SETTINGS = ("--server.headless", "true", "--browser.gatherUsageStats", "false",
                 "--server.fileWatcherType", "none", "--client.toolbarMode", "minimal")  # fmt: skip


@contextmanager
def start_app(
    directory: Path,
    port: int,
    env: dict[str, str],
    secrets: Path | None = None,
    script: str = "app.py",
    settings: tuple[str, ...] = TEST_SETTINGS,
) -> Iterator[str]:
    """``streamlit run app.py`` (or ``script``) on ``port`` with ``env`` added; yields its local
    URL.  ``settings=()`` runs it with the project's own settings, nothing overridden."""
    log_path = directory / f"streamlit-{port}.log"
    args = [sys.executable, "-m", "streamlit", "run", script, "--server.address", "127.0.0.1",
            "--server.port", str(port), *settings]  # fmt: skip
    if secrets is not None:
        args += ["--secrets.files", str(secrets)]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            args, cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_for(lambda: healthy(url), proc, log_path, f"streamlit on port {port}")
            yield url
        finally:
            _stop(proc)


def render_nginx(directory: Path, port: int, app_ports: list[int]) -> Path:
    """``deploy/nginx/credence.conf`` for this machine: listening on 127.0.0.1:``port`` with a
    self-signed certificate, in front of ``app_ports``; logs each request's upstream."""
    openssl = shutil.which("openssl")
    require_tool(openssl is not None, "openssl is missing")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [str(openssl), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
        check=True, capture_output=True,
    )  # fmt: skip
    site = NGINX_SITE.read_text()
    site = re.sub(r"/etc/letsencrypt/live/[^;]*/fullchain\.pem", str(cert), site)
    site = re.sub(r"/etc/letsencrypt/live/[^;]*/privkey\.pem", str(key), site)
    site = re.sub(r"server \{\n    listen 80;.*?\n\}\n", "", site, flags=re.S)  # no port 80 here
    site = re.sub(r"\n    listen \[::\][^\n]*", "", site)
    site = site.replace("listen 443 ssl", f"listen 127.0.0.1:{port} ssl")
    upstreams = "".join(f"    server 127.0.0.1:{p};\n" for p in app_ports)
    site = re.sub(
        r"(upstream credence \{\n[^\n]*\n)(    server [^\n]*\n)+", lambda m: m.group(1) + upstreams, site
    )
    assert f"listen 127.0.0.1:{port} ssl" in site and "letsencrypt" not in site
    (directory / "site.conf").write_text(site)
    temp = {name: directory / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    conf = directory / "nginx.conf"
    conf.write_text(
        f"pid {directory}/nginx.pid;\nerror_log {directory}/error.log;\ndaemon off;\nworker_processes 1;\n"
        "events {}\n"
        "http {\n"
        "  log_format routed '$upstream_addr $cookie_credence_route $request';\n"
        f"  access_log {directory}/access.log routed;\n"
        + "".join(f"  {name}_temp_path {path};\n" for name, path in temp.items()).replace(
            "body_temp_path", "client_body_temp_path"
        )
        + f"  include {directory}/site.conf;\n}}\n"
    )
    return conf


@contextmanager
def start_nginx(directory: Path, app_ports: list[int]) -> Iterator[str]:
    """nginx with the deployment's site config in front of ``app_ports``; yields its https URL
    (on ``localhost``, the host the sign-in redirect must use)."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    require_tool(nginx is not None, "nginx is missing: `apt-get install -y nginx` (.ci/run does)")
    port = free_port()
    conf = render_nginx(directory, port, app_ports)
    check = subprocess.run(
        [str(nginx), "-t", "-c", str(conf), "-p", str(directory)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    log_path = directory / "nginx.out"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [str(nginx), "-c", str(conf), "-p", str(directory)], stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _wait_for(lambda: _listening(port), proc, log_path, "nginx")
            yield f"https://localhost:{port}"
        finally:
            _stop(proc)


def block_fonts(page: Page) -> None:
    """The provider's pages load Google Fonts; there is no network here."""
    page.route(re.compile(r"https://fonts\.(googleapis|gstatic)\.com/.*"), lambda route: route.abort())


def sign_in(page: Page, login: str) -> None:
    """On Credence's sign-in page: "Sign in", then the provider's login form (any password), then
    consent when the provider asks for it."""
    block_fonts(page)
    page.get_by_role("button", name="Sign in").click()
    page.locator('input[name="login"]').fill(login)
    page.locator('input[name="password"]').fill("any-password")
    page.get_by_role("button", name="Sign-in").click()
    consent = page.get_by_role("button", name="Continue")
    signed_in = page.get_by_text(f"Signed in as {login}@lab.example")
    expect(consent.or_(signed_in).first).to_be_visible(timeout=30_000)
    if consent.is_visible():
        consent.click()
