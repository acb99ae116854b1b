"""Team mode end to end in Chromium: signing in through a real OpenID Connect provider, share
links opened by a stranger, and two members working at once through the deployment's nginx in
front of two app processes on PostgreSQL.

The provider is npm's ``oidc-provider`` (``tests/oidc``), users ``ana`` and ``ben``
(``@lab.example``); nothing of Credence's is mocked.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlmodel import Session, select

from models import actions
from models.analysis.decomposition import decompositions_of, linked_forecasts
from models.schemas import QuestionIn, ResearcherIn
from models.sharing import INVALID
from models.store.db import open_engine
from models.store.reads import load_frames
from models.store.tables import Forecast, Researcher, Revision
from tests.browser.conftest import App, _chromium, open_link, settled
from tests.browser.team_stack import (
    block_fonts,
    free_port,
    sign_in,
    start_app,
    start_nginx,
    start_oidc,
    write_secrets,
)
from tests.conftest import PG_SERVER, _pg_error

TEAM_ENV = {"CREDENCE_ALLOWED_DOMAINS": "lab.example", "CREDENCE_ADMINS": ""}
QUESTIONS = [
    "Team test: a frontier lab publishes a scheming audit by 2027",
    "Team test: neuralese at 3x AI R&D",
]
ROUNDS = 3


def _pick(page: Page, label: str, option: str) -> None:
    box = page.get_by_role("combobox", name=label)
    box.click()
    box.fill(option[:30])
    page.get_by_role("option", name=option).first.click()


def _sign_out(page: Page) -> None:
    block_fonts(page)
    page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
    # Streamlit sends the browser to the provider's end-session page, which asks to confirm.
    confirm = page.get_by_role("button", name="Yes, sign me out")
    expect(confirm).to_be_visible(timeout=30_000)
    confirm.click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=30_000)


# --- signing in --------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.browser
def test_sign_in_journey_through_the_local_provider(browser: Browser, tmp_path: Path) -> None:
    _chromium()
    db_url = f"sqlite:///{tmp_path / 'credence.db'}"
    eng = open_engine(db_url)
    actions.load_demo(eng)
    eng.dispose()
    port = free_port()
    base = f"http://localhost:{port}"
    with start_oidc(tmp_path, [f"{base}/oauth2callback"]) as oidc:
        secrets = write_secrets(tmp_path / "secrets.toml", f"{base}/oauth2callback", oidc)
        with start_app(tmp_path, port, {"CREDENCE_DATABASE_URL": db_url, **TEAM_ENV}, secrets):
            page = browser.new_page()
            # A page's own address on a fresh server, signed out: the sign-in page and no data.
            page.goto(f"{base}/questions")
            expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=30_000)
            expect(page.get_by_test_id("stDataFrame")).to_have_count(0)
            sign_in(page, "ana")
            # First sign-in of an allowed e-mail: choose a handle.
            expect(page.get_by_role("heading", name="Welcome to Credence")).to_be_visible(timeout=30_000)
            page.get_by_label("Handle").fill("ana_lab")
            page.get_by_role("button", name="Join").click()
            expect(page.get_by_role("heading", name="Home")).to_be_visible(timeout=30_000)
            expect(page.get_by_text("You are: ana_lab")).to_be_visible()
            expect(page.get_by_text("Signed in as ana@lab.example (ana_lab)")).to_be_visible()
            expect(page.get_by_role("combobox", name="Researcher")).to_have_count(0)
            _sign_out(page)
            expect(page.get_by_role("heading", name="Home")).to_have_count(0)
            page.close()
    eng = open_engine(db_url)
    with Session(eng) as s:
        ana = s.exec(select(Researcher).where(Researcher.handle == "ana_lab")).one()
        assert ana.email == "ana@lab.example"
    eng.dispose()


# --- share links -------------------------------------------------------------------------------

SCHEMING = "Scheming arises before full automation of AI R&D"


@pytest.mark.browser
def test_share_link_in_a_fresh_context_shows_trajectories_and_no_edit_control(
    browser: Browser, app: App
) -> None:
    eng = open_engine(app.db_url)
    frames = load_frames(eng)
    owner = "teal_heron"
    qids = sorted(set(frames.forecasts[frames.forecasts["researcher"] == owner]["question_id"]))[:2]
    scheming = int(frames.questions.set_index("question")["question_id"][SCHEMING])
    qids = sorted({*qids, scheming})  # teal_heron decomposes it: the link shows why it moved
    found = [
        d
        for q in qids
        for d in decompositions_of(
            linked_forecasts(frames), frames.questions, frames.partitions, owner, int(q)
        )
    ]
    assert found
    link = actions.create_share_link(eng, owner, question_ids=[int(q) for q in qids], by=owner)
    context = browser.new_context()  # a stranger: no cookies, no session
    page = context.new_page()
    try:
        page.goto(f"{app.url}/?share={link.token}")
        expect(page.get_by_role("heading", name=f"Forecasts by {owner}")).to_be_visible(timeout=30_000)
        # a trajectory per question, and two charts (implied against direct, waterfall) per decomposition
        expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(
            len(qids) + 2 * len(found), timeout=30_000
        )
        expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
        expect(page.get_by_text(f"Why it moved: {found[0].label}")).to_be_visible()
        for role in ("textbox", "combobox", "spinbutton", "checkbox"):
            expect(page.get_by_role(role)).to_have_count(0)
        for name in ("Save", "Delete", "Revoke", "Resolve", "Create share link"):
            expect(page.get_by_role("button", name=re.compile(name))).to_have_count(0)
        expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)

        actions.revoke_share_link(eng, link.link_id, by=owner)
        page.reload()
        expect(page.get_by_text(INVALID)).to_be_visible(timeout=30_000)
        expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(0)
        expect(page.get_by_test_id("stDataFrame")).to_have_count(0)
        expect(page.get_by_role("heading")).to_have_count(0)
    finally:
        context.close()
        eng.dispose()


# --- two members at once, through nginx, on PostgreSQL ----------------------------------------------


@pytest.fixture
def team_database() -> Iterator[str]:
    """A fresh PostgreSQL database (never the test database's own schemas), dropped afterwards."""
    err = _pg_error()
    if err is not None:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is unreachable: {err}")
        pytest.skip(f"PostgreSQL is unreachable: {err}")
    name = f"credence_team_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_SERVER.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _route_to(context: BrowserContext, base: str, access_log: Path, taken: set[str]) -> str:
    """Give ``context`` a route cookie that nginx sends to an app process not in ``taken``."""
    for i in range(40):
        value = f"route{i}"
        context.clear_cookies()
        context.add_cookies([{"name": "credence_route", "value": value, "url": base}])
        context.request.get(f"{base}/_stcore/health")
        lines = [ln for ln in access_log.read_text().splitlines() if f" {value} " in ln]
        upstream = lines[-1].split()[0]
        if upstream not in taken:
            return upstream
    pytest.fail("nginx sent every route to the same process")


def _log(page: Page, who: str, question: str, percent: str, note: str) -> None:
    _pick(page, "Question", question)
    page.get_by_label("Probability (%)").fill(percent)
    page.get_by_label("Probability (%)").press("Enter")
    page.get_by_label("Rationale").fill(note)
    expect(page.get_by_role("button", name="Save forecast")).to_be_enabled(timeout=30_000)


@pytest.mark.slow
@pytest.mark.browser
def test_two_members_log_at_once_through_nginx_and_two_app_processes(
    browser: Browser, tmp_path: Path, team_database: str
) -> None:
    _chromium()
    db_url = team_database
    # As deploy/ does it: migrate once, before any app process starts.
    credence = str(Path(sys.executable).with_name("credence"))
    subprocess.run([credence, "migrate"], env={**os.environ, "CREDENCE_DATABASE_URL": db_url}, check=True)
    eng = open_engine(db_url)
    for handle in ("ana", "ben"):
        actions.create_researcher(eng, ResearcherIn(handle=handle, email=f"{handle}@lab.example"))
    for title in QUESTIONS:
        actions.add_question(eng, QuestionIn(title=title))

    app_ports = [free_port(), free_port()]
    with ExitStack() as stack:
        base = stack.enter_context(start_nginx(tmp_path, app_ports))
        oidc = stack.enter_context(start_oidc(tmp_path, [f"{base}/oauth2callback"]))
        secrets = write_secrets(tmp_path / "secrets.toml", f"{base}/oauth2callback", oidc)
        for port in app_ports:
            stack.enter_context(
                start_app(tmp_path, port, {"CREDENCE_DATABASE_URL": db_url, **TEAM_ENV}, secrets)
            )

        pages: dict[str, Page] = {}
        upstreams: set[str] = set()
        for who in ("ana", "ben"):
            context = browser.new_context(ignore_https_errors=True, viewport={"width": 1280, "height": 900})
            stack.callback(context.close)
            upstreams.add(_route_to(context, base, tmp_path / "access.log", upstreams))
            page = context.new_page()
            page.goto(base)
            sign_in(page, who)
            expect(page.get_by_text(f"You are: {who}")).to_be_visible(timeout=30_000)
            page.get_by_role("link", name="Log forecast").click()
            expect(page.get_by_text(f"Researcher: {who}")).to_be_visible(timeout=30_000)
            pages[who] = page
        assert len(upstreams) == 2  # each member on their own app process

        # Both fill the form, then both save at once, a few times over.
        for r in range(ROUNDS):
            for i, (who, page) in enumerate(pages.items()):
                _log(page, who, QUESTIONS[r % 2], f"{10 + r + i}", f"{who} round {r}")
            for page in pages.values():
                page.get_by_role("button", name="Save forecast").click()
            for who, page in pages.items():
                expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text(
                    f"Saved {who}'s forecast", timeout=30_000
                )
                settled(page)  # the run that drew the save has finished: one, empty, Rationale box

        with Session(eng) as s:
            rows = s.exec(select(Forecast, Researcher.handle).join(Researcher)).all()  # type: ignore[arg-type]
        assert len(rows) == 2 * ROUNDS
        for forecast, handle in rows:
            assert forecast.rationale.startswith(f"{handle} round "), forecast.rationale
            assert forecast.updated_by == handle

        # Neither sees edit controls on the other's forecasts.
        for who, page in pages.items():
            other = "ben" if who == "ana" else "ana"
            page.goto(f"{base}/questions?question={QUESTIONS[0].replace(' ', '+')}")
            page.get_by_role("tab", name="Edit or delete a forecast").click()
            box = page.get_by_role("combobox", name="Forecast", exact=True)
            box.click()
            box.fill("#")  # every forecast's label starts with its "#id": list them all
            options = page.get_by_role("option")
            expect(options.first).to_be_visible(timeout=30_000)
            texts = options.all_inner_texts()
            assert texts and all(f"· {who}" in t for t in texts) and not any(f"· {other}" in t for t in texts)
            page.keyboard.press("Escape")
        streams = [
            ln.split()[0]
            for ln in (tmp_path / "access.log").read_text().splitlines()
            if "/_stcore/stream" in ln
        ]
        assert set(streams) == upstreams
    eng.dispose()


# --- laptop mode: the researcher chosen on the page is the author ------------------------------------


@pytest.mark.browser
def test_laptop_mode_records_the_researcher_chosen_in_the_sidebar(page: Page, app: App) -> None:
    eng = open_engine(app.db_url)
    title = load_frames(eng).questions["question"].iloc[0]
    open_link(page, app, f"/questions?question={title}")
    _pick(page, "Writing as", "orrery")
    # The pick reruns the page; typing before that rerun is drawn would be overwritten by it.
    page.wait_for_url("**researcher=orrery**")
    page.get_by_role("tab", name="Edit question").click()
    criteria = page.get_by_label("Resolution criteria")
    criteria.fill("Resolves on the lab's published audit (laptop author test).")
    expect(criteria).to_have_value("Resolves on the lab's published audit (laptop author test).")
    page.get_by_role("button", name="Save question").click()
    expect(page.get_by_text("Saved the question")).to_be_visible(timeout=30_000)
    with Session(eng) as s:
        revision = s.exec(
            select(Revision).where(Revision.entity == "question").order_by(Revision.id.desc())
        ).first()  # type: ignore[union-attr]
    assert revision is not None and revision.changed_by == "orrery"
    eng.dispose()
