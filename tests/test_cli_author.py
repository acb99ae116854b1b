"""The CLI records who wrote: ``--as HANDLE``, else the operating-system user name."""

from __future__ import annotations

import getpass

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from models.cli import app as cli_app
from models.store.tables import Forecast, Question, Revision


def _run(db_url: str, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli_app, ["--db", db_url, *args])


def _question_authors(engine) -> list[str]:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        return [r.changed_by for r in s.exec(select(Revision).where(Revision.entity == "question")).all()]


def test_as_names_the_author_of_every_revision(db_url, stocked):
    assert (
        _run(
            db_url, "--as", "ana", "resolve", "Eval published by 2025", "yes", "--when", "2025-01-01"
        ).exit_code
        == 0
    )
    assert (
        _run(
            db_url, "--as", "ben", "resolve", "Eval published by 2025", "no", "--when", "2025-01-02"
        ).exit_code
        == 0
    )
    with Session(stocked) as s:
        question = s.exec(select(Question).where(Question.title == "Eval published by 2025")).one()
        assert question.updated_by == "ben"
    assert _question_authors(stocked) == ["ana", "ben"]


def test_without_as_the_os_user_is_the_author(db_url, stocked, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(getpass, "getuser", lambda: "lab-laptop-user")
    result = _run(db_url, "add", "teal_heron", "Schemers at 3x", "7%", "--at", "3x AI R&D")
    assert result.exit_code == 0, result.output
    with Session(stocked) as s:
        newest = s.exec(select(Forecast).order_by(Forecast.id.desc())).first()  # type: ignore[union-attr]
        assert newest is not None and newest.updated_by == "lab-laptop-user"
