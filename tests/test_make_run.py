"""`make run` serves this machine only unless HOST says otherwise."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run_command(*args: str) -> str:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    out = subprocess.run(["make", "-n", "run", *args], cwd=ROOT, capture_output=True, text=True, check=True)
    (line,) = [ln for ln in out.stdout.splitlines() if "streamlit run app.py" in ln]
    return line


def test_make_run_binds_to_this_machine_only() -> None:
    assert "--server.address 127.0.0.1 " in _run_command()


def test_make_run_host_opts_in_to_every_interface() -> None:
    assert "--server.address 0.0.0.0 " in _run_command("HOST=0.0.0.0")
