"""User text is shown as text on every page, never as live Markdown.

The database holds a question, criteria, tags, a resolution note, a capability level and its
description, an evidence item and its summary, a rationale, a researcher's handle and name,
a likelihood ratio's rationale, a partition, a question link's note and a share link's label,
each written as Markdown that would load an image from 127.0.0.1:9, carry a ``javascript:``
link, make text bold, inject HTML or turn a bare address into a link.  Every page is run on
it (the question, evidence and shared views opened); every piece of Markdown a page draws
(text elements, alerts, headings, toasts, and the labels and options of widgets, expanders
and tabs, which Streamlit also reads as Markdown) is parsed with a CommonMark parser, and
none may hold an image, HTML, a link or emphasis made from the stored text.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from models import actions
from models.limits import md_plain
from models.schemas import (
    EvidenceIn,
    ForecastIn,
    LevelIn,
    QuestionIn,
    RatioIn,
    ResearcherIn,
    ResolutionIn,
)
from models.store.db import open_engine
from tests.factories import copy_of

ROOT = Path(__file__).resolve().parent.parent
IMAGE = "![x](http://127.0.0.1:9/x.png)"
LINK = "[click](javascript:alert(1))"
BARE = "http://127.0.0.1:9/bare"
HOSTILE = f"{IMAGE} {LINK} **bold** _em_ <img src=x> {BARE} www.example.invalid"
HANDLE = "![h](http://127.0.0.1:9/h.png)"
Q1, Q2 = f"Q1 {HOSTILE}", f"Q2 {HOSTILE}"
EVIDENCE = f"E {HOSTILE}"
EVIDENCE_URL = "https://example.org/e"
LEVEL = f"L {HOSTILE}"
PARTITION = f"P {HOSTILE}"
MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _tokens(tokens: list[Any]) -> Iterator[Any]:
    for token in tokens:
        yield token
        yield from _tokens(token.children or [])


def live_markdown(text: str) -> list[str]:
    """What in ``text``, read as Markdown, is live and made from the stored text."""
    found = []
    tokens = list(_tokens(MD.parse(text)))
    for i, token in enumerate(tokens):
        if token.type == "image":
            found.append(f"image {token.attrs.get('src')}")
        elif token.type in ("html_inline", "html_block"):
            found.append(f"html {token.content}")
        elif token.type == "link_open" and token.attrs.get("href") != EVIDENCE_URL:
            # (the write-up links an evidence title to its stored http(s) URL, as intended)
            found.append(f"link {token.attrs.get('href')}")
        elif token.type in ("strong_open", "em_open") and i + 1 < len(tokens):
            if tokens[i + 1].content in ("bold", "em"):
                found.append(f"{token.type} {tokens[i + 1].content}")
    # GitHub's autolinks (not in CommonMark): a bare address left unescaped becomes a link.
    for bare in ("http://127.0.0.1", "www.example.invalid"):
        if bare in text:
            found.append(f"bare link {bare}")
    return found


def markdown_shown(at: AppTest) -> list[str]:
    """Every string the run drew that Streamlit reads as Markdown."""
    out: list[str] = []
    for node in at._tree:
        kind = type(node).__name__
        if kind in ("Markdown", "Caption", "Title", "Header", "Subheader", "Error", "Warning", "Info",
                    "Success", "Toast"):  # fmt: skip
            out.append(str(node.value))
        label = getattr(getattr(node, "proto", None), "label", None)
        if isinstance(label, str) and label:
            out.append(label)
        if kind == "Radio":
            out.extend(str(o) for o in node.options)
    return out


def assert_plain(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    shown = markdown_shown(at)
    live = {text[:80]: found for text in shown if (found := live_markdown(text))}
    assert not live, live


def test_the_checker_sees_what_it_must_refuse() -> None:
    assert len(live_markdown(HOSTILE)) >= 5
    assert live_markdown(md_plain(HOSTILE)) == []
    assert live_markdown(md_plain(f"{HOSTILE}\n- a\n# b\n1. c\n\n    d")) == []


def _fill_hostile(eng: sa.Engine) -> None:
    """Write every free text as hostile Markdown."""
    actions.create_researcher(eng, ResearcherIn(handle=HANDLE, name=HOSTILE))
    actions.create_researcher(eng, ResearcherIn(handle="gone_heron", name=HOSTILE))
    actions.delete(eng, "researcher", 2)
    actions.create_level(eng, LevelIn(name=LEVEL, description=f"{HOSTILE}\n- list\n# heading"))
    actions.create_level(eng, LevelIn(name=f"gone {LEVEL}", description=HOSTILE))
    actions.delete(eng, "capability_level", 2)
    actions.create_evidence(
        eng,
        EvidenceIn(title=EVIDENCE, url=EVIDENCE_URL, summary=HOSTILE, date="2024-06-01"),
    )
    for title in (Q1, Q2):
        actions.add_question(eng, QuestionIn(title=title, criteria=HOSTILE, tags=[f"t {HOSTILE}"],
                                             resolve_by="2024-01-01"))  # fmt: skip
    old = datetime(2023, 1, 5, tzinfo=UTC)
    for as_of, p in ((old, 0.2), (datetime(2023, 3, 1, tzinfo=UTC), 0.4)):
        actions.save_forecast(eng, ForecastIn(researcher=HANDLE, question=Q2, probability=p, as_of=as_of,
                                              rationale=HOSTILE, evidence=[{"title": EVIDENCE,
                                                                            "direction": "raised"}]))  # fmt: skip
        for given, q in (("yes", 0.7), ("no", 0.1)):
            actions.save_forecast(eng, ForecastIn(researcher=HANDLE, question=Q1, probability=q + p / 10,
                                                  as_of=as_of, given=Q2, given_outcome=given,
                                                  rationale=HOSTILE))  # fmt: skip
        actions.save_forecast(eng, ForecastIn(researcher=HANDLE, question=Q1, probability=0.5 + p / 10,
                                              as_of=as_of, rationale=HOSTILE))  # fmt: skip
        actions.save_forecast(eng, ForecastIn(researcher=HANDLE, question=Q1, probability=p, as_of=as_of,
                                              capability=LEVEL, rationale=HOSTILE))  # fmt: skip
    actions.record_ratio(eng, RatioIn(researcher=HANDLE, question=Q1, evidence=EVIDENCE, ratio="3",
                                      as_of="2023-02-01", rationale=HOSTILE))  # fmt: skip
    actions.link_questions(eng, 1, 2, HOSTILE)
    actions.declare_partition(eng, PARTITION, HANDLE, [Q1, Q2])
    actions.resolve_question(eng, ResolutionIn(question=Q2, outcome="yes", resolved_at="2024-02-01",
                                               capability=LEVEL, note=HOSTILE))  # fmt: skip


@pytest.fixture
def hostile(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[sa.Engine]:
    """A database whose every free text is hostile Markdown (the URL is CREDENCE_DATABASE_URL):
    a copy of one filled once per test process."""
    monkeypatch.setenv("CREDENCE_DATABASE_URL", copy_of(sqlite_url, "hostile", _fill_hostile))
    eng = open_engine(sqlite_url)
    yield eng
    eng.dispose()


def _page(name: str, **params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / name), default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


PAGES = sorted(p.name for p in (ROOT / "pages").glob("*.py") if not p.name.startswith("_"))


@pytest.mark.parametrize("page", [p for p in PAGES if p != "shared_view.py"])
def test_every_page_shows_stored_text_as_text(hostile: sa.Engine, page: str) -> None:
    assert_plain(_page(page, researcher=HANDLE))


def test_question_page_with_its_tabs_shows_text_as_text(hostile: sa.Engine) -> None:
    at = _page("questions.py", question=Q1, researcher=HANDLE)
    assert at.header[0].value == md_plain(Q1)
    assert_plain(at)
    forecast = at.selectbox(key="forecast")
    forecast.set_value(forecast.options and int(forecast.proto.options[0].split(" ")[0][1:])).run()
    assert_plain(at)
    at = _page("questions.py", question=Q2, researcher=HANDLE)  # resolved, with a note
    assert_plain(at)


def test_evidence_page_shows_the_item_as_text(hostile: sa.Engine) -> None:
    at = _page("evidence.py", evidence=EVIDENCE)
    assert at.header[0].value == md_plain(EVIDENCE)
    assert_plain(at)


def test_log_forecast_labels_evidence_as_text(hostile: sa.Engine) -> None:
    at = _page("log_forecast.py", researcher=HANDLE, question=Q1)
    at.multiselect(key="evidence:0").set_value([EVIDENCE]).run()
    assert at.radio(key=f"direction:0:{EVIDENCE}").label.startswith("How did")
    assert_plain(at)


def test_trajectories_and_why_it_moved_show_text_as_text(hostile: sa.Engine) -> None:
    assert_plain(_page("trajectories.py", question=Q1, researcher=HANDLE))
    assert_plain(_page("trajectories.py", question=Q1, levels=LEVEL))
    assert_plain(_page("why_it_moved.py", researcher=HANDLE))


def test_shared_view_shows_text_as_text(hostile: sa.Engine) -> None:
    link = actions.create_share_link(hostile, HANDLE, tag=f"t {HOSTILE}", label=HOSTILE)
    at = _page("shared_view.py", share=link.token)
    assert at.title[0].value == md_plain(f"Forecasts by {HANDLE}")
    assert_plain(at)


def test_the_app_with_navigation_shows_text_as_text(hostile: sa.Engine) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["researcher"] = HANDLE
    assert_plain(at.run())
