"""Log forecast: record one dated probability estimate (the landing page).

Saving happens in the button's callback, before the page is drawn, so each problem can be
shown right under the widget it concerns.  Once saved, the Save button stays disabled
until something in the form changes: a double click stores one forecast.  A click that
arrives while the first is still saving makes Streamlit start a second script thread (fast
reruns), which may see the first one's form half cleared; so each browser session's last
save is kept in a registry, and a session's saves take turns under that session's own lock
(other sessions never wait).  A save repeating the last one's estimate within
:data:`models.forms.DOUBLE_CLICK_SECONDS` is the same click twice, whatever its reasons then held.

The reasons (rationale, evidence and how each item moved the estimate) are cleared after a
save by giving their widgets new keys (:func:`_reason_key`), not by emptying the old ones:
a click the browser sent before it had drawn the save carries the form as it was then, and
Streamlit would write those old values back into the old keys, refilling the reasons just
saved and hiding the confirmation.
"""

from __future__ import annotations

import time
import uuid
from datetime import date
from typing import Any

import streamlit as st

from models import actions, forms
from models.analysis.likelihood import implied_by_ratios
from models.errors import CredenceError, InputError, Problem
from models.format import format_percent
from models.limits import md_plain
from models.schemas import parse_odds
from models.store import reads as queries
from pages import _shared as shared
from pages._shared import UNCONDITIONAL, actor, engine, remember, remembered, researcher_picker

NEW_QUESTION = "New question…"
EARLIEST = date(1900, 1, 1)
#: Form fields whose problems are shown under their own widget (others go above Save).
FIELDS = (
    "researcher",
    "question",
    "capability",
    "probability",
    "odds",
    "as_of",
    "reconstructed",
    "rationale",
    "evidence",
)

state = st.session_state


def _implied(chosen: list[str]) -> str | None:
    """What the researcher's pre-registered ratios for the chosen evidence imply, before saving."""
    values = _values()
    ratios = shared.ratios()
    if not chosen or not values["researcher"] or not values["question"] or ratios.empty:
        return None
    prior = queries.standing_estimate(
        engine(), values["researcher"], values["question"], values["capability"], values["as_of"]
    )
    try:
        typed = parse_odds(values["odds"]) if values["odds"] else state.get("probability")
        probability = None if typed is None else (typed if values["odds"] else typed / 100)
    except ValueError:
        probability = None
    if probability is not None and not 0 <= probability <= 1:
        probability = None
    return implied_by_ratios(
        ratios, prior, values["researcher"], values["question"], values["capability"], chosen, probability
    )


@shared.per_version(max_entries=4)
def _choices() -> tuple[list[str], list[str], list[str]]:
    """(question titles, capability levels, evidence titles) that the form offers.

    Only these lists, not the shared frames: after each save they reload in milliseconds,
    where the frames would reload every forecast.  (Plain lists: st.cache_data pickles its
    values, and a class defined in a page module cannot be pickled.)
    """
    eng = engine()
    return (
        sorted(queries.questions_frame(eng)["question"].tolist()),
        queries.levels_frame(eng)["level"].tolist(),
        sorted(queries.evidence_frame(eng)["evidence"].tolist()),
    )


@shared.per_version(max_entries=4)
def _published() -> dict[str, date]:
    """Evidence title -> the day it was published (items with a known date only)."""
    ev = queries.evidence_frame(engine())
    ev = ev[ev["published"].notna()]
    return dict(zip(ev["evidence"], ev["published"].dt.date, strict=True))


#: The fields that make an estimate (the reasons are cleared after saving, so they are not compared).
ESTIMATE = ("researcher", "question", "capability", "probability", "odds", "as_of", "reconstructed")


@st.cache_resource(show_spinner=False)
def _saved_forms() -> forms.SavedForms:
    return forms.SavedForms(compared=ESTIMATE)


# --- reading the form -------------------------------------------------------------------------


def _question() -> str | None:
    q = state.get("question")
    return None if q == NEW_QUESTION else q


def _reason_key(name: str) -> str:
    """The widget key of a reason field ("rationale", "evidence", "direction") in this form.

    Each save starts a new form: ``rationale:0`` before the first save, ``rationale:1`` after
    it, and so on.
    """
    return f"{name}:{state.get('reasons_form', 0)}"


def _evidence() -> list[tuple[str, str | None]]:
    return shared.picked_evidence(_reason_key("evidence"), _reason_key("direction"))


def _values() -> dict[str, Any]:
    """What the form holds now, by field (used to tell whether anything changed)."""
    capability = state.get("capability")
    return {
        "researcher": state.get("researcher"),
        "question": _question(),
        "capability": None if capability == UNCONDITIONAL else capability,
        "probability": ("odds", state.get("odds")) if state.get("use_odds") else state.get("probability"),
        "odds": state.get("odds") if state.get("use_odds") else None,
        "as_of": state.get("as_of"),
        "reconstructed": bool(state.get("reconstructed")),
        "rationale": state.get(_reason_key("rationale")) or "",
        "evidence": tuple(_evidence()),
    }


def _save() -> None:
    # Everything read from Streamlit is read before writing: touching st.session_state is a
    # point where Streamlit may stop this thread for a newer click, and between the commit
    # and the registry entry nothing may stop it.
    values = _values()
    token = state["form_session"]
    use_odds = bool(state.get("use_odds"))
    eng = engine()
    by = actor()
    saved_forms = _saved_forms()
    problems: dict[str, Any] | None = None
    with saved_forms.turn(token, time.monotonic()):
        if saved_forms.repeats_last(token, values, time.monotonic()):
            last = saved_forms.by_session[token]  # the same click twice: show what the first saved
        else:
            try:
                data = forms.forecast_input(
                    researcher=values["researcher"],
                    question=values["question"],
                    capability=values["capability"],
                    percent=None if use_odds else values["probability"],
                    odds=(values["odds"] or "") if use_odds else None,
                    as_of=values["as_of"],
                    today=date.today(),
                    reconstructed=values["reconstructed"],
                    rationale=values["rationale"],
                    evidence=list(values["evidence"]),
                )
                saved = actions.save_forecast(eng, data, by=by)
            except InputError as err:
                problems = {"values": values, "fields": err.fields}
            except CredenceError as err:  # refused (team mode): nothing was written
                problems = {"values": values, "fields": {"": str(err)}}
            else:
                last = saved_forms.remember(token, values, saved.message(), time.monotonic())
    state["log_errors"] = problems
    if problems is None:
        # The next estimate must not inherit this one's reasons: new, empty widgets for them
        # (the researcher, question and level stay).  The confirmation is shown once, at the top.
        rationale, evidence, directions = (_reason_key(n) for n in ("rationale", "evidence", "direction"))
        every_direction = shared.direction_widget(directions, "")  # the prefix of every title's radio
        state["reasons_form"] = state.get("reasons_form", 0) + 1
        for key in [k for k in state if k in (rationale, evidence) or str(k).startswith(every_direction)]:
            del state[key]
        state["log_saved"] = (last.message, {**last.values, "rationale": "", "evidence": ()})
        state["log_toast"] = True


def _create_question() -> None:
    try:
        data = forms.question_input(
            state.get("new_question_title") or "",
            state.get("new_question_criteria") or "",
            state.get("new_question_tags") or "",
            state.get("new_question_resolve_by"),
            state.get("new_question_review_every") or None,
        )
        actions.add_question(engine(), data, by=actor())
    except CredenceError as err:  # refused, or the database could not write: nothing was written
        state["question_errors"] = forms.form_problems(err)
        return
    state["question_errors"] = {}
    state["question"] = data.title
    state["question_created"] = data.title
    for key in (
        "new_question_title",
        "new_question_criteria",
        "new_question_tags",
        "new_question_review_every",
    ):
        state[key] = ""
    state["new_question_resolve_by"] = None


def _add_evidence() -> None:
    try:
        data = forms.evidence_input(
            state.get("new_evidence_title") or "", state.get("new_evidence_url") or ""
        )
        created = actions.add_evidence(engine(), data, by=actor())
    except CredenceError as err:
        state["evidence_errors"] = forms.form_problems(err)
        return
    state["evidence_errors"] = {}
    state["evidence_added"] = (data.title, created)
    chosen = _reason_key("evidence")
    state[chosen] = [*(t for t in state.get(chosen) or [] if t != data.title), data.title]
    state[shared.direction_widget(_reason_key("direction"), data.title)] = state.get("new_evidence_direction")
    state["new_evidence_title"] = ""
    state["new_evidence_url"] = ""
    state["new_evidence_direction"] = None


# --- showing problems -------------------------------------------------------------------------


def _problem(field: str) -> None:
    """The problem found with ``field`` at the last Save, while the field still holds that value."""
    errors = state.get("log_errors")
    if not errors or field not in errors["fields"]:
        return
    if errors["values"].get(field) == _values().get(field):
        st.error(md_plain(str(Problem(errors["fields"][field], field))))


def _other_problems() -> None:
    errors = state.get("log_errors")
    if errors and errors["values"] == _values():
        for field, msg in errors["fields"].items():
            if field not in FIELDS:
                st.error(md_plain(str(Problem(msg, field))))


def _small_problem(kind: str, field: str) -> None:
    msg = (state.get(kind) or {}).get(field)
    if msg:
        st.error(md_plain(str(Problem(msg, field))))


# --- the page ---------------------------------------------------------------------------------

state.setdefault("form_session", uuid.uuid4().hex)
st.title("Log forecast")
st.caption("A dated probability estimate for a question, with your reasons and the evidence behind it.")

# The confirmation of the last save, at the top (visible without scrolling), until the form
# changes; Save stays disabled until then, so a double click stores one forecast.
confirmation = state.get("log_saved")
just_saved = confirmation is not None and confirmation[1] == _values()
if just_saved:
    st.success(md_plain(confirmation[0]))
    if state.pop("log_toast", False):
        st.toast(md_plain(confirmation[0]), icon=":material/check_circle:")

titles, levels, evidence_titles = _choices()

researcher = researcher_picker()
_problem("researcher")
if researcher is None and not titles and not levels:
    st.info(
        "The database is empty. Add researchers on the Researchers page or the Import / export page, "
        "or load the demo data with `credence demo`."
    )

question_options = [NEW_QUESTION, *titles]
question = st.selectbox(
    "Question",
    question_options,
    index=remembered("question", question_options),
    key="question",
    placeholder="Pick a question, or “New question…” to add one",
)
remember("question", question if question != NEW_QUESTION else None)
_problem("question")
created = state.pop("question_created", None)
if created and question == created:
    st.success(f"Created the question “{md_plain(created)}”.")

if question == NEW_QUESTION:
    with st.container(border=True):
        st.text_input("New question title", key="new_question_title", placeholder="Will … by 2027?")
        _small_problem("question_errors", "title")
        st.text_area("Resolution criteria", key="new_question_criteria", height=80)
        _small_problem("question_errors", "criteria")
        st.text_input(
            "Tags", key="new_question_tags", placeholder="evals; compute", help="Separated by ; or ,"
        )
        _small_problem("question_errors", "tags")
        st.date_input("Resolve by", value=None, min_value=EARLIEST, key="new_question_resolve_by")
        _small_problem("question_errors", "resolve_by")
        st.text_input(
            "Review every (days)",
            key="new_question_review_every",
            placeholder="90",
            help="Estimates of this question are due for review this many days after they were last "
            "revisited; empty for the default, 90 days.",
        )
        _small_problem("question_errors", "review_every_days")
        st.button("Create question", key="create_question", on_click=_create_question)
        _small_problem("question_errors", "")

st.selectbox("Capability level", [UNCONDITIONAL, *levels], index=0, key="capability")
_problem("capability")

if st.toggle("Enter odds", key="use_odds", help="Odds for:against, like 1:20 (about 4.8%)"):
    odds = st.text_input("Odds", key="odds", placeholder="1:20")
    try:
        st.caption(f"= {format_percent(parse_odds(odds))}" if odds else "for:against, like 1:20")
    except ValueError:
        pass
    _problem("odds")
else:
    st.number_input(
        "Probability (%)", value=None, step=0.1, format="%g", key="probability", placeholder="e.g. 12.5"
    )
_problem("probability")

as_of = st.date_input("As of", min_value=EARLIEST, key="as_of")
_problem("as_of")
reconstructed = st.checkbox(
    "Reconstructed estimate",
    key="reconstructed",
    help="Written down later, from memory or old notes; scoring can leave these out.",
)
if as_of and not reconstructed and forms.suggest_reconstructed(as_of, date.today()):
    st.info(
        f"This date is more than {forms.RECONSTRUCTED_AFTER_DAYS} days ago. If you are writing down "
        "an estimate you held back then, tick **Reconstructed estimate**."
    )

st.text_area(
    "Rationale", key=_reason_key("rationale"), placeholder="Why this number, and what would change it?"
)

chosen = shared.evidence_picker(
    evidence_titles, key=_reason_key("evidence"), direction_key=_reason_key("direction")
)
_problem("evidence")
implied = _implied(chosen)
if implied:
    st.info(md_plain(implied))
for title, day in forms.evidence_after(as_of, _published(), chosen):
    st.warning(
        f"“{md_plain(title)}” was published on {day:%Y-%m-%d}, after this estimate's as of date ({as_of:%Y-%m-%d}). "
        "Check both dates before saving."
    )
added = state.pop("evidence_added", None)
if added:
    st.success(
        md_plain(
            f"Added the evidence “{added[0]}”." if added[1] else f"“{added[0]}” already existed; selected it."
        )
    )
with st.expander("Add new evidence", expanded=bool(state.get("evidence_errors"))):
    st.text_input("Evidence title", key="new_evidence_title")
    _small_problem("evidence_errors", "title")
    st.text_input("URL", key="new_evidence_url", placeholder="https://")
    _small_problem("evidence_errors", "url")
    st.radio(
        "How did it move this estimate?",
        shared.DIRECTIONS,
        index=None,
        horizontal=True,
        key="new_evidence_direction",
    )
    st.button("Add evidence", key="add_evidence", on_click=_add_evidence)
    _small_problem("evidence_errors", "")

_other_problems()
last = _saved_forms().by_session.get(state["form_session"])
unchanged = (last is not None and last.values == _values()) or just_saved
st.button("Save forecast", key="save", type="primary", on_click=_save, disabled=unchanged)
if unchanged:
    st.caption("Saved (see the top of the page). Change anything above to log another forecast.")
