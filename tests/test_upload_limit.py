"""Uploads have the project's size limit: in Streamlit's settings, on the Import page, and in our code.

``server.maxUploadSize`` in ``.streamlit/config.toml`` makes Streamlit refuse a larger file in
the browser; the Import page states the limit next to the uploader and refuses a larger file
itself (through the same action the CLI calls), in words, before reading it.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from models import actions
from models.errors import InputError
from models.limits import UPLOAD_MAX_BYTES, UPLOAD_MAX_MB
from models.store import reads as queries
from models.store.db import data_version

ROOT = Path(__file__).resolve().parent.parent
PAGE = str(ROOT / "pages" / "import_export.py")
HEADER = b"researcher,question,probability,as_of\n"
ROW = b"new_owl,Will the upload limit hold?,0.4,2025-01-02\n"


def _file_of(size: int) -> bytes:
    """A forecasts file of exactly ``size`` bytes."""
    return (HEADER + ROW * (size // len(ROW)))[:size]


def test_streamlit_setting_and_project_limit_agree() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == UPLOAD_MAX_MB
    assert UPLOAD_MAX_BYTES == UPLOAD_MAX_MB * 1024 * 1024  # Streamlit's megabyte


def test_import_page_states_the_limit_next_to_the_uploader(empty_engine: sa.Engine) -> None:
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    assert not at.exception
    assert at.get("file_uploader")[0].proto.max_upload_size_mb == UPLOAD_MAX_MB
    assert any(f"At most {UPLOAD_MAX_MB} MB per file" in c.value for c in at.caption)


def test_a_file_over_the_limit_is_refused_in_words_on_the_page(empty_engine: sa.Engine) -> None:
    before = data_version(empty_engine)
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.file_uploader(key="upload").set_value(("big.csv", _file_of(UPLOAD_MAX_BYTES + 1), "text/csv")).run()
    assert not at.exception
    (error,) = at.error
    assert f"larger than the {UPLOAD_MAX_MB} MB an upload may be" in error.value
    assert "credence import forecasts FILE" in error.value
    assert "import" not in [b.key for b in at.button]
    assert data_version(empty_engine) == before
    assert queries.researchers_frame(empty_engine).empty


def test_a_file_exactly_at_the_limit_is_read(empty_engine: sa.Engine) -> None:
    data = HEADER + ROW
    summary = actions.import_file(empty_engine, data, "forecasts", max_bytes=len(data), dry_run=True)
    assert summary.changes_anything()
    with pytest.raises(InputError, match="larger than"):
        actions.import_file(empty_engine, data, "forecasts", max_bytes=len(data) - 1)


@pytest.mark.parametrize("kind", ["forecasts", "fatebook"])
def test_the_action_refuses_one_byte_over_without_reading_it(empty_engine: sa.Engine, kind: str) -> None:
    data = b"\xff" * (UPLOAD_MAX_BYTES + 1)  # not even text: refused for its size, unread
    with pytest.raises(InputError) as err:
        if kind == "fatebook":
            actions.import_fatebook(empty_engine, data, max_bytes=UPLOAD_MAX_BYTES)
        else:
            actions.import_file(empty_engine, data, kind, max_bytes=UPLOAD_MAX_BYTES)
    (problem,) = err.value.problems
    assert problem.startswith(f"the file is 50.0 MB, larger than the {UPLOAD_MAX_MB} MB")
    assert f"credence import {kind} FILE" in problem


def test_the_cli_path_has_no_upload_limit(empty_engine: sa.Engine) -> None:
    # Large files are what the command line is for (bench/import_forecasts.py: a million rows):
    # without max_bytes the action reads any size.
    import inspect

    from models import cli

    assert "max_bytes" not in inspect.getsource(cli)
    assert inspect.signature(actions.import_file).parameters["max_bytes"].default is None


def test_an_unforeseen_failure_shows_no_traceback_in_the_browser() -> None:
    """Streamlit shows only its generic message for an exception no page caught (details: server log)."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"
