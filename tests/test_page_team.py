"""Team mode's gate in the app (AppTest, ``at.user`` as Streamlit's ``st.user``), and share links.

Team mode is on when the secrets hold ``[auth]``; the tests set ``at.secrets["auth"]``.  Who may
join comes from the environment (``CREDENCE_ALLOWED_DOMAINS``, ``CREDENCE_ADMINS``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from models import actions
from models.sharing import INVALID
from models.store.reads import researchers_frame

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test-only-cookie-secret-0123456789abcdef",
    "client_id": "credence-test",
    "client_secret": "credence-test-secret",
    "server_metadata_url": "http://127.0.0.1:9400/.well-known/openid-configuration",
}
ROOT = Path(__file__).resolve().parents[1]
MEMBER = "teal_heron"  # a demo researcher, bound below to teal@lab.example


@pytest.fixture
def team_db(demo_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> sa.Engine:
    monkeypatch.setenv("CREDENCE_ALLOWED_DOMAINS", "lab.example")
    monkeypatch.setenv("CREDENCE_ADMINS", "head@lab.example")
    people = researchers_frame(demo_engine).set_index("handle")
    actions.set_researcher_email(demo_engine, int(people.loc[MEMBER, "id"]), "teal@lab.example")
    return demo_engine


def _app(user: dict[str, object] | None, team: bool = True, page: str = "app.py") -> AppTest:
    at = AppTest.from_file(str(ROOT / page), default_timeout=60)
    if team:
        at.secrets["auth"] = AUTH
    if user is not None:
        at.user = user
    return at


def _texts(at: AppTest) -> str:
    parts = [*at.title, *at.markdown, *at.text, *at.caption, *at.error, *at.info]
    return "\n".join(str(getattr(p, "value", "")) for p in parts)


def test_signed_out_visitor_sees_only_the_sign_in_page(team_db):
    at = _app({"is_logged_in": False})
    at.run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert [t.value for t in at.title] == ["Credence"]
    assert not at.selectbox and not at.dataframe and not at.text_input and not at.sidebar.caption


def test_signed_out_visitor_gets_the_sign_in_page_on_a_page_run_directly(team_db):
    at = _app({"is_logged_in": False}, page="pages/questions.py")
    at.run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"] and not at.dataframe


def test_member_has_their_researcher_preselected_and_no_picker(team_db):
    at = _app(
        {"is_logged_in": True, "email": "teal@lab.example", "email_verified": True},
        page="pages/log_forecast.py",
    )
    at.run()
    assert not at.exception
    assert "researcher" not in [s.key for s in at.selectbox]
    assert f"Researcher: {MEMBER}" in [t.value for t in at.text]
    at = _app({"is_logged_in": True, "email": "teal@lab.example", "email_verified": True})
    at.run()
    assert not at.exception
    assert "researcher" not in [s.key for s in at.selectbox]
    assert f"You are: {MEMBER}" in [t.value for t in at.text]  # the landing page (Home)
    assert any("Signed in as teal@lab.example (teal_heron)" in c.value for c in at.sidebar.caption)
    assert "Sign out" in [b.label for b in at.sidebar.button]


def test_not_allowed_email_sees_the_refusal_and_no_data(team_db):
    at = _app({"is_logged_in": True, "email": "mallory@elsewhere.example", "email_verified": True})
    at.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Not allowed"]
    assert [e.value for e in at.error] == [
        "mallory@elsewhere.example is not allowed to use this Credence. Ask its administrator to add you."
    ]
    assert [b.label for b in at.button] == ["Sign out"]
    assert not at.selectbox and not at.dataframe and MEMBER not in _texts(at)


def test_unverified_email_is_refused(team_db):
    at = _app({"is_logged_in": True, "email": "teal@lab.example", "email_verified": False})
    at.run()
    assert [t.value for t in at.title] == ["Not allowed"] and "not verified" in at.error[0].value


def test_first_sign_in_chooses_a_validated_handle(team_db):
    at = _app({"is_logged_in": True, "email": "newcomer@lab.example", "email_verified": True, "name": "New"})
    at.run()
    assert [t.value for t in at.title] == ["Welcome to Credence"] and not at.dataframe
    at.text_input(key="join_handle").set_value("has space")
    at.button(key="join").click().run()
    assert not at.exception
    assert "is not a handle" in "\n".join(e.value for e in at.error)
    assert at.text_input(key="join_handle").value == "has space"  # what was typed stays
    at.text_input(key="join_handle").set_value("new_comer")
    at.button(key="join").click().run()
    assert not at.exception
    assert "You are: new_comer" in [t.value for t in at.text]
    row = researchers_frame(team_db).set_index("handle").loc["new_comer"]
    assert (row["name"], row["email"]) == ("New", "newcomer@lab.example")


def test_member_sees_edit_controls_for_their_own_forecasts_only(team_db):
    frames = actions.reads.load_frames(team_db)
    qid, title = frames.forecasts[frames.forecasts["researcher"] == MEMBER][["question_id", "question"]].iloc[
        0
    ]
    others = set(frames.forecasts[frames.forecasts["question_id"] == qid]["researcher"]) - {MEMBER}
    assert others, "the demo question should have other researchers' forecasts"
    at = _app(
        {"is_logged_in": True, "email": "teal@lab.example", "email_verified": True}, page="pages/questions.py"
    )
    at.query_params["question"] = str(title)
    at.run()
    assert not at.exception
    options = at.selectbox(key="forecast").options
    assert options and all(f"· {MEMBER}" in o for o in options)
    assert "Only an admin resolves or re-opens questions." in [c.value for c in at.caption]


def test_laptop_mode_keeps_the_researcher_picker(shared_demo_engine):
    at = _app(None, team=False)
    at.run()
    assert not at.exception
    assert "researcher" in [s.key for s in at.selectbox]
    assert not any("Signed in" in c.value for c in at.sidebar.caption)


def test_share_link_shows_one_researchers_trajectories_without_sign_in(team_db):
    frames = actions.reads.load_frames(team_db)
    qid = int(frames.forecasts[frames.forecasts["researcher"] == MEMBER]["question_id"].iloc[0])
    link = actions.create_share_link(team_db, MEMBER, question_ids=[qid], label="For the reading group")
    at = _app({"is_logged_in": False})
    at.query_params["share"] = link.token
    at.run()
    assert not at.exception
    assert [t.value for t in at.title] == [f"Forecasts by {MEMBER}"]
    assert at.get("vega_lite_chart") and at.dataframe
    assert not at.button and not at.text_input and not at.selectbox  # read-only, no navigation
    assert set(at.dataframe[0].value.columns) >= {"as_of", "to_probability", "rationale"}
    actions.revoke_share_link(team_db, link.link_id)
    at.run()
    assert [e.value for e in at.error] == [INVALID]
    assert not at.title and not at.dataframe and not at.get("vega_lite_chart")


def test_unknown_share_token_shows_only_that_the_link_is_not_valid(shared_demo_engine):
    at = _app(None, team=False)
    at.query_params["share"] = "x" * 43
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [INVALID] and not at.title and not at.selectbox


def _links(at: AppTest):  # type: ignore[no-untyped-def]
    return next(d.value for d in at.dataframe if "status" in d.value.columns)


def test_trajectories_page_makes_lists_and_revokes_share_links(demo_engine):
    at = _app(None, team=False, page="pages/trajectories.py")
    at.query_params["researcher"] = MEMBER
    at.run()
    assert not at.exception
    at.button(key="create_share").click().run()
    assert not at.exception
    url = at.code[0].value
    assert "/?share=" in url
    token = url.split("share=")[1]
    opened = actions.open_share_link(demo_engine, token)
    assert opened is not None and opened.handle == MEMBER
    assert list(_links(at)["status"]) == ["active"]
    at.selectbox(key="revoke_pick").set_value(opened.link_id).run()
    at.button(key="revoke_share").click().run()
    assert not at.exception
    assert actions.open_share_link(demo_engine, token) is None
    assert list(_links(at)["status"]) == ["revoked"]


def test_share_link_shows_the_decompositions_of_the_shared_questions_and_nobody_elses_data(team_db):
    scheming = "Scheming arises before full automation of AI R&D"
    neuralese = "Neuralese (opaque latent reasoning) is used before full automation of AI R&D"
    frames = actions.reads.load_frames(team_db)
    qid = int(frames.questions.set_index("question")["question_id"][scheming])
    link = actions.create_share_link(team_db, "teal_heron", question_ids=[qid])
    at = _app({"is_logged_in": False})
    at.query_params["share"] = link.token
    at.run()
    assert not at.exception
    texts = [t.value for t in at.text]
    assert f"Why it moved: {scheming} over {neuralese}" in texts
    assert any(t.startswith(f"P({scheming}) fell from 33.8% to 27.6%") for t in texts)  # as Why it moved says
    factors = next(d.value for d in at.dataframe if "factor" in d.value.columns)
    assert factors["factor"].tolist()[0] == f"P({neuralese})"
    # the trajectory, then the implied-against-direct chart and the waterfall
    assert len(at.get("vega_lite_chart")) + len(at.get("arrow_vega_lite_chart")) == 3
    assert not at.button and not at.text_input and not at.selectbox and not at.multiselect
    others = set(frames.forecasts["researcher"]) - {"teal_heron"}
    shown = "\n".join([*texts, *(d.value.to_csv() for d in at.dataframe)])
    assert others and not any(handle in shown for handle in others)
