"""``credence``: the command-line interface, a thin layer over the functions the pages use.

Errors the user can fix are printed without a traceback and exit with status 1.
"""

from __future__ import annotations

import functools
import gc
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import click
import sqlalchemy as sa
import typer

from models.errors import CredenceError, InputError
from models.store.db import database_url, open_engine

if TYPE_CHECKING:
    import pandas as pd

    from models.batch import ImportSummary

# Commands import what they use when they run (``from models import interchange`` inside
# the function), so `credence scores` does not pay for loading the import machinery.

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Credence: dated forecasts, belief updates and calibration.",
)
import_app = typer.Typer(
    no_args_is_help=True, help="Import CSV files in the interchange format (whole file or nothing)."
)
export_app = typer.Typer(no_args_is_help=True, help="Export data for spreadsheets and write-ups.")
question_app = typer.Typer(no_args_is_help=True, help="Add questions and set how often they are reviewed.")
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
app.add_typer(question_app, name="question")

F = TypeVar("F", bound=Callable[..., Any])


def failure_message(err: BaseException) -> str:
    """Any failure of a command as the text after ``Error:`` (never a traceback).

    Problems the user can fix say what to do; files that cannot be read or written name
    the path and the reason; a database refusing a write says so.  Anything else still
    gets one line, naming its kind, so the command never ends in a traceback.
    """
    if isinstance(err, CredenceError):
        return str(err)
    if isinstance(err, IsADirectoryError):
        return f"{err.filename}: is a directory; give a file name"
    if isinstance(err, FileNotFoundError):
        return f"{err.filename}: no such file or directory"
    if isinstance(err, OSError):
        where = f"{err.filename}: " if err.filename else ""
        return f"{where}{err.strerror or err}"
    if isinstance(err, UnicodeDecodeError):
        return "the file is not UTF-8 text"
    if isinstance(err, sa.exc.DBAPIError):
        from models.store.db import refusal

        return refusal(err)
    first = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return f"unexpected {type(err).__name__}" + (f": {first}" if first else "")


def friendly(fn: F) -> F:
    """Print any failure as one line, ``Error: …``, and exit 1 (typer's own exits pass through)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, click.exceptions.ClickException, KeyboardInterrupt):
            raise
        except Exception as err:
            typer.echo(f"Error: {failure_message(err)}", err=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


@app.callback()
def _global(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="URL",
            help="Database URL (default: $CREDENCE_DATABASE_URL or sqlite:///data/credence.db).",
        ),
    ] = None,
    as_: Annotated[
        str | None,
        typer.Option(
            "--as",
            metavar="HANDLE",
            help="Who is writing, recorded as the author of every change (default: your OS user name).",
        ),
    ] = None,
) -> None:
    ctx.obj = {"db": db, "as": as_}


def author(ctx: typer.Context) -> str:
    """Who the command writes as: ``--as HANDLE``, else the operating-system user name (or "")."""
    chosen = ctx.find_root().obj.get("as")
    if chosen:
        return str(chosen).strip()
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment (a container without one)
        return ""


def engine(ctx: typer.Context) -> sa.Engine:
    """The database named by ``--db`` (or the configured one), migrated to the newest schema."""
    obj = ctx.find_root().obj
    if "engine" not in obj:
        try:
            obj["engine"] = open_engine(database_url(obj.get("db")))
        except CredenceError as err:
            raise CredenceError(f"cannot open the database: {err}") from None
        except (sa.exc.SQLAlchemyError, OSError, ValueError) as err:
            raise CredenceError(f"cannot open the database: {_first_line(err)}") from None
        except Exception as err:  # alembic's errors (a database from a newer Credence, say)
            raise CredenceError(f"cannot open the database: {_first_line(err)}") from None
    engine_: sa.Engine = obj["engine"]
    return engine_


def _input_file(file: Path) -> bytes:
    """The bytes of a file to read, or a one-line reason it cannot be read."""
    if file.is_dir():
        raise CredenceError(f"{file}: is a directory; give a file")
    if not file.is_file():
        raise CredenceError(f"{file}: no such file")
    return file.read_bytes()


def _first_line(err: BaseException) -> str:
    orig = getattr(err, "orig", None)
    text = str(orig if orig is not None else err).strip()
    return text.splitlines()[0] if text else type(err).__name__


@contextmanager
def progress_bar() -> Iterator[Callable[[str, int, int], None]]:
    """A progress callback drawing on standard error (silent when it is not a terminal)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=None, transient=True, disable=not sys.stderr.isatty(),
    ) as bar:  # fmt: skip
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total or None)
            bar.update(tasks[stage], completed=done, total=total or None)

        yield update


def _report(summary: ImportSummary) -> None:
    for line in summary.lines():
        typer.echo(line)


def _import(ctx: typer.Context, kind: str, file: Path) -> None:
    from models import actions

    with progress_bar() as progress:
        try:
            # The bytes are passed, not kept here, so the import can let them go once read.
            summary = actions.import_file(
                engine(ctx), _input_file(file), kind, by=author(ctx), progress=progress
            )
        except InputError as err:
            raise InputError(err.problems, source=str(file)) from None
    _report(summary)


FileArg = Annotated[Path, typer.Argument(help="CSV file (UTF-8, header row).")]


def _import_command(kind: str, doc: str) -> None:
    @friendly
    def command(ctx: typer.Context, file: FileArg) -> None:
        _import(ctx, kind, file)

    command.__doc__ = doc
    import_app.command(kind)(command)


_import_command(
    "forecasts",
    "Forecasts: researcher,question,probability,as_of[,capability,rationale,evidence,reconstructed,"
    "given,given_outcome].",
)
_import_command(
    "questions",
    "Questions: question[,criteria,tags,resolve_by,review_every_days] (review_every_days empty: every 90 days).",
)
_import_command(
    "resolutions", "Resolutions: question,outcome,resolved_at[,capability,note]. The question must exist."
)
_import_command("researchers", "Researchers: handle[,name].")
_import_command("levels", "Capability levels: name[,position,description].")
_import_command("evidence", "Evidence: title[,url,date,summary,kind,status,observed].")
_import_command(
    "ratios",
    "Likelihood ratios: researcher,question,evidence,ratio,as_of[,capability,rationale,recorded_at]. "
    "Ratios read 3, 1/3, 0.25, ×3 or ÷4; a new evidence title is created as anticipated.",
)
_import_command(
    "partitions",
    "Partitions: partition,question[,researcher]: one row per member of a set of mutually exclusive, "
    "exhaustive questions; a new partition needs the researcher who declares it.",
)


@import_app.command("fatebook")
@friendly
def import_fatebook(
    ctx: typer.Context,
    file: FileArg,
    researcher: Annotated[
        str | None,
        typer.Option(
            "--researcher",
            metavar="HANDLE",
            help="Whose forecasts a spreadsheet-layout file holds (required there; an export names them).",
        ),
    ] = None,
) -> None:
    """Fatebook: its forecast export, or its spreadsheet layout (questionTitle,forecast,...; --researcher)."""
    from models import actions
    from models.files import fatebook

    data = _input_file(file)
    with progress_bar() as progress:
        try:
            if not researcher and fatebook.layout(data) == fatebook.SPREADSHEET:
                raise CredenceError(f"{file}: {fatebook.NO_RESEARCHER} with --researcher HANDLE")
            summary = actions.import_fatebook(
                engine(ctx), data, researcher, by=author(ctx), progress=progress
            )
        except InputError as err:
            raise InputError(err.problems, source=str(file)) from None
    _report(summary)


@export_app.command("csv")
@friendly
def export_csv(
    ctx: typer.Context, file: Annotated[Path, typer.Argument(help="Where to write; - for standard output.")]
) -> None:
    """Current forecasts in the interchange format, with id and recorded_at (readable by import forecasts)."""
    from models import actions

    if str(file) == "-":
        actions.export_forecasts(engine(ctx), sys.stdout)
        return
    with open(file, "w", encoding="utf-8", newline="") as out:
        n = actions.export_forecasts(engine(ctx), out)
    from models.format import plural

    typer.echo(f"wrote {plural(n, 'forecast')} to {file}")


def _export(ctx: typer.Context, file: Path, what: str) -> None:
    from models import actions
    from models.format import plural

    write = {
        "ratios": actions.export_ratios,
        "evidence": actions.export_evidence,
        "questions": actions.export_questions,
    }[what]
    if str(file) == "-":
        write(engine(ctx), sys.stdout)
        return
    with open(file, "w", encoding="utf-8", newline="") as out:
        n = write(engine(ctx), out)
    noun = {"ratios": "likelihood ratio", "evidence": "evidence item", "questions": "question"}[what]
    typer.echo(f"wrote {plural(n, noun)} to {file}")


@export_app.command("ratios")
@friendly
def export_ratios(
    ctx: typer.Context, file: Annotated[Path, typer.Argument(help="Where to write; - for standard output.")]
) -> None:
    """Current likelihood ratios, with recorded_at (readable by import ratios)."""
    _export(ctx, file, "ratios")


@export_app.command("questions")
@friendly
def export_questions(
    ctx: typer.Context, file: Annotated[Path, typer.Argument(help="Where to write; - for standard output.")]
) -> None:
    """Current questions with criteria, tags, resolve-by and review interval (readable by import questions)."""
    _export(ctx, file, "questions")


@export_app.command("evidence")
@friendly
def export_evidence(
    ctx: typer.Context, file: Annotated[Path, typer.Argument(help="Where to write; - for standard output.")]
) -> None:
    """The evidence library with each item's status and observed date (readable by import evidence)."""
    _export(ctx, file, "evidence")


QuestionOpt = Annotated[
    list[str] | None, typer.Option("--question", metavar="TITLE", help="A question by title (repeatable).")
]
ResearcherOpt = Annotated[list[str] | None, typer.Option("--researcher", metavar="H", help="A researcher's handle (repeatable; default: everyone).")]  # fmt: skip


@export_app.command("markdown")
@friendly
def export_markdown(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Markdown file to write.")],
    question: QuestionOpt = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", metavar="T", help="Questions with this tag (repeatable).")
    ] = None,
    researcher: ResearcherOpt = None,
    since: Annotated[
        str | None, typer.Option("--since", metavar="DATE", help="First day of forecasts shown.")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", metavar="DATE", help="Last day of forecasts shown.")
    ] = None,
    charts: Annotated[
        bool, typer.Option("--charts", help="Write PNG charts to FILE_files/ and embed them.")
    ] = False,
    calibration: Annotated[bool, typer.Option("--calibration", help="Add a calibration summary.")] = False,
) -> None:
    """A Markdown report (criteria, estimates, update history, resolution) to paste into a write-up."""
    from models.store.reads import load_frames
    from models.writeup.filters import make_filter
    from models.writeup.report import write_report

    filt = make_filter(questions=question, tags=tag, researchers=researcher, since=since, until=until)
    frames = load_frames(engine(ctx))
    with progress_bar() as progress:
        paths = write_report(frames, filt, file, charts=charts, calibration=calibration, progress=progress)
    for path in paths:
        typer.echo(f"wrote {path}")


@export_app.command("chart")
@friendly
def export_chart(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="FILE.png (2x pixels) or FILE.svg.")],
    kind: Annotated[str, typer.Option("--kind", help="trajectory, capability, comparison or calibration.")],
    question: QuestionOpt = None,
    researcher: ResearcherOpt = None,
    log_odds: Annotated[bool, typer.Option("--log-odds", help="Log-odds probability axis.")] = False,
) -> None:
    """One chart as a PNG or SVG image at publication size, with title and caption."""
    from models.charts.export import build_chart, chart_format, make_request, save_chart
    from models.store.reads import load_frames

    chart_format(file)
    request = make_request(
        kind=kind, questions=tuple(question or ()), researchers=tuple(researcher or ()), log_odds=log_odds
    )
    chart = build_chart(load_frames(engine(ctx)), request)
    assert chart is not None  # build_chart raises instead of returning None unless missing_ok
    typer.echo(f"wrote {save_chart(chart, file)}")


@app.command()
@friendly
def backup(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="JSON file to write.")]) -> None:
    """Everything (all tables, revisions, deleted rows) as deterministic JSON."""
    from models.store import backup as backup_mod

    file.write_text(backup_mod.backup(engine(ctx)), encoding="utf-8")
    typer.echo(f"wrote {file}")


@app.command()
@friendly
def restore(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A file written by credence backup.")],
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace a database that already has data.")
    ] = False,
) -> None:
    """Load a backup into an empty database (or replace everything with --replace)."""
    from models import actions

    try:
        text = _input_file(file).decode("utf-8")
    except UnicodeDecodeError:
        raise CredenceError(f"{file}: not a Credence backup (the file is not UTF-8 text)") from None
    counts = actions.restore(engine(ctx), text, replace=replace)
    typer.echo("restored " + ", ".join(f"{n} {t}" for t, n in counts.items() if n))


@app.command()
@friendly
def demo(
    ctx: typer.Context,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Only when the database has no data yet.")
    ] = False,
) -> None:
    """Load the demo data (invented researchers, AI-safety questions, 2023-2026)."""
    from models.actions import load_demo
    from models.store.backup import is_empty

    eng = engine(ctx)
    if if_empty and not is_empty(eng):
        typer.echo("the database already has data; demo not loaded")
        return
    with progress_bar() as progress:
        _report(load_demo(eng, progress))


@app.command()
@friendly
def scores(
    ctx: typer.Context,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object (the documented contract).")
    ] = False,
    include_reconstructed: Annotated[
        bool, typer.Option("--include-reconstructed", help="Also score estimates written after the fact.")
    ] = False,
) -> None:
    """Calibration and scores against resolved outcomes (one-sided Brier: 0 best, 1 worst)."""
    if as_json:
        # The copy kept fresh after every write (models/store/scores.py): a write costs the
        # questions it touched, not a re-read of every forecast.
        from models.analysis.scoring import report_of_targets
        from models.store.scores import score_targets

        typer.echo(json.dumps(report_of_targets(score_targets(engine(ctx), include_reconstructed))))
        return
    from models.analysis.score_table import score_table
    from models.analysis.scoring import select_scored
    from models.store.reads import scoring_frames

    frames = scoring_frames(engine(ctx), include_reconstructed=include_reconstructed)
    typer.echo(format_scores(score_table(select_scored(frames, include_reconstructed=include_reconstructed))))


@app.command()
@friendly
def updates(
    ctx: typer.Context,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object (the documented contract).")
    ] = False,
    researcher: ResearcherOpt = None,
    tag: Annotated[
        list[str] | None,
        typer.Option("--tag", metavar="T", help="Only questions with this tag (repeatable)."),
    ] = None,
) -> None:
    """Update quality without resolution: belief movement against uncertainty reduction, per researcher."""
    from models.analysis.update_quality import (
        format_update_quality,
        researchers_update_quality,
        update_quality_report,
    )
    from models.store.reads import load_frames

    table = researchers_update_quality(load_frames(engine(ctx)), researcher or None, tag or None)
    report = update_quality_report(table)
    typer.echo(json.dumps(report) if as_json else format_update_quality(report))


#: The columns ``credence scores`` prints, with their headings and widths.
_PRINTED = [("n_targets", "targets", 7), ("n_forecasts", "forecasts", 9), ("brier", "Brier", 7),
            ("log_score", "log", 7), ("brier_all", "Brier all", 9), ("brier_time_averaged", "Brier time-avg", 14)]  # fmt: skip


def format_scores(table: pd.DataFrame) -> str:
    """The score table (:func:`models.analysis.score_table.score_table`) as plain text, one
    line per researcher and the pooled line last."""
    if table.empty:
        return "nothing to score yet: no forecast made before a yes/no resolution"
    head = f"{'researcher':<20} " + " ".join(f"{label:>{w}}" for _, label, w in _PRINTED)
    lines = [head, "-" * len(head)]
    for row in table.to_dict("records"):
        cells = [
            f"{int(row[name]):>{w}}" if name.startswith("n_") else f"{row[name]:>{w}.3f}"
            for name, _, w in _PRINTED
        ]
        lines.append(f"{row['researcher']:<20} " + " ".join(cells))
    lines.append(
        "Brier is one-sided: 0 is best, 1 worst (Fatebook shows the two-sided 0-2 form). Log score: 0 is best."
    )
    return "\n".join(lines)


@app.command()
@friendly
def add(
    ctx: typer.Context,
    researcher: Annotated[str, typer.Argument(help="Handle of an existing researcher.")],
    question: Annotated[str, typer.Argument(help="Title of an existing question.")],
    probability: Annotated[str, typer.Argument(help='"4%", "0.04", or odds for:against such as "1:24".')],
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="When the belief held: a date or ISO 8601 time (default: now)."),
    ] = None,
    level: Annotated[
        str | None, typer.Option("--at", metavar="LEVEL", help="Capability level it is conditional on.")
    ] = None,
    rationale: Annotated[str, typer.Option("--rationale", "-m", help="Why, in a sentence or two.")] = "",
    evidence: Annotated[
        list[str] | None,
        typer.Option("--evidence", help='"Title" or "Title [raised|lowered|no_change]"; repeat for more.'),
    ] = None,
    reconstructed: Annotated[
        bool, typer.Option("--reconstructed", help="Written down after the fact, not at the time.")
    ] = False,
    given: Annotated[
        str | None,
        typer.Option(
            "--given", metavar="TITLE", help="P(QUESTION | TITLE): conditional on another question."
        ),
    ] = None,
    given_outcome: Annotated[
        str | None,
        typer.Option("--given-outcome", metavar="yes|no", help="The condition's outcome (default: yes)."),
    ] = None,
) -> None:
    """Log one forecast, as the Log forecast page does, and say how it moved the last estimate."""
    from models.actions import save_forecast
    from models.forms import forecast_from_text

    data = forecast_from_text(
        researcher=researcher,
        question=question,
        probability=probability,
        as_of=as_of,
        capability=level,
        rationale=rationale,
        evidence=evidence,
        reconstructed=reconstructed,
        given=given,
        given_outcome=given_outcome,
    )
    typer.echo(save_forecast(engine(ctx), data, by=author(ctx)).message())


ReviewEveryOpt = Annotated[
    str | None,
    typer.Option(
        "--review-every",
        metavar="DAYS",
        help="Estimates of this question are due for review after DAYS days (default: 90).",
    ),
]


@question_app.command("add")
@friendly
def question_add(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="The question, as a title.")],
    criteria: Annotated[str, typer.Option("--criteria", help="How it resolves.")] = "",
    tag: Annotated[list[str] | None, typer.Option("--tag", metavar="T", help="A tag (repeatable).")] = None,
    resolve_by: Annotated[
        str | None, typer.Option("--resolve-by", metavar="DATE", help="When it should be resolved.")
    ] = None,
    review_every: ReviewEveryOpt = None,
) -> None:
    """Add a question, as the Questions page does."""
    from models.actions import add_question
    from models.forms import question_input

    data = question_input(
        title, criteria, ";".join(tag or ()), resolve_by=resolve_by, review_every_days=review_every
    )
    add_question(engine(ctx), data, by=author(ctx))
    every = f" (review every {data.review_every_days} days)" if data.review_every_days else ""
    typer.echo(f"Added \u201c{data.title}\u201d{every}.")


@question_app.command("review-every")
@friendly
def question_review_every(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="Title of an existing question.")],
    days: Annotated[str, typer.Argument(help="Whole days, or 'default' for the default (90).")],
) -> None:
    """Set how many days after its last revisit an estimate of this question is due for review."""
    from models.actions import edit_question
    from models.errors import NotFound
    from models.forms import review_every_edit
    from models.store.reads import questions_frame

    questions = questions_frame(engine(ctx))
    found = questions.loc[questions["question"] == title.strip(), "question_id"]
    if found.empty:
        raise NotFound(f"no question is titled \u201c{title.strip()}\u201d")
    edit = review_every_edit(days)
    edit_question(engine(ctx), int(found.iloc[0]), edit, by=author(ctx))
    every = (
        f"every {edit.review_every_days} days" if edit.review_every_days else "at the default, every 90 days"
    )
    typer.echo(f"Estimates of \u201c{title.strip()}\u201d are now due for review {every}.")


@app.command()
@friendly
def resolve(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="Title of an existing question.")],
    outcome: Annotated[str, typer.Argument(help="yes, no or annulled.")],
    when: Annotated[
        str | None, typer.Option("--when", help="When it resolved: a date or ISO 8601 time (default: now).")
    ] = None,
    level: Annotated[
        str | None, typer.Option("--at", metavar="LEVEL", help="Capability level reached at resolution.")
    ] = None,
    note: Annotated[str, typer.Option("--note", "-m", help="How it was decided.")] = "",
) -> None:
    """Resolve a question, as the Questions page does; a changed resolution keeps the old one."""
    from models.actions import resolve_question
    from models.format import format_time
    from models.forms import resolution_from_text

    data = resolution_from_text(question=question, outcome=outcome, when=when, capability=level, note=note)
    changed = resolve_question(engine(ctx), data, by=author(ctx))
    if not changed:
        typer.echo(f"\u201c{data.question}\u201d is already resolved as {data.outcome}; nothing changed.")
        return
    reached = f" at capability level {data.capability}" if data.capability else ""
    typer.echo(
        f"Resolved \u201c{data.question}\u201d as {data.outcome} on {format_time(data.resolved_at)}{reached}."
    )


def _day(value: str, option: str) -> date:
    """The date of ``--from``/``--to`` text, or a :class:`CredenceError` naming the option."""
    from pydantic_core import PydanticCustomError

    from models.format import parse_time

    try:
        return parse_time(value).date()
    except PydanticCustomError as err:
        raise CredenceError(f"--{option} {err.message()}") from None


@app.command()
@friendly
def explain(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="Title of the question whose implied estimate moved.")],
    researcher: Annotated[str, typer.Option("--researcher", metavar="H", help="Whose beliefs.")],
    given: Annotated[
        str | None,
        typer.Option(
            "--given",
            metavar="TITLE_OR_PARTITION",
            help="The decomposition: a question's title or a partition's name.",
        ),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option("--from", metavar="DATE", help="Default: first day the implied estimate exists."),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option("--to", metavar="DATE", help="Default: the latest day of a factor's estimate."),
    ] = None,
    level: Annotated[
        str | None, typer.Option("--at", metavar="LEVEL", help="Capability level of every factor.")
    ] = None,
    threshold: Annotated[
        float, typer.Option("--threshold", metavar="POINTS", help="Inconsistent beyond this many points.")
    ] = 5.0,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object (the documented contract).")
    ] = False,
) -> None:
    """Why an implied estimate moved: P(A) = Σ P(Bᵢ)·P(A | Bᵢ), its change split among the factors."""
    from models.analysis.decomposition import explain as explain_change
    from models.analysis.decomposition import format_explanation, linked_forecasts
    from models.store.reads import load_frames

    days = {name: _day(value, name) for name, value in (("from", start), ("to", end)) if value}
    frames = load_frames(engine(ctx))
    result = explain_change(
        linked_forecasts(frames), frames.questions, frames.partitions, question, researcher, given,
        days.get("from"), days.get("to"), level, threshold,
    )  # fmt: skip
    if as_json:
        typer.echo(json.dumps(result.as_dict()))
    else:
        typer.echo(format_explanation(result, threshold))


@app.command()
@friendly
def due(
    ctx: typer.Context,
    researcher: Annotated[
        str | None, typer.Option("--researcher", metavar="H", help="Only this researcher's estimates.")
    ] = None,
    count: Annotated[
        bool, typer.Option("--count", help="Print only how many are due (for a shell prompt).")
    ] = False,
) -> None:
    """Estimates due for review: not revisited for longer than their question's interval (default 90 days)."""
    from models.analysis.attention import due_for_review, review_lines
    from models.errors import NotFound
    from models.format import plural
    from models.store.reads import load_frames

    frames = load_frames(engine(ctx))
    if researcher is not None and researcher not in set(frames.forecasts["researcher"]):
        raise NotFound(f"researcher {researcher} has no forecasts")
    found = due_for_review(frames.forecasts, frames.questions, researcher=researcher)
    if count:
        typer.echo(str(len(found)))
        return
    if found.empty:
        typer.echo("Nothing is due for review.")
        return
    typer.echo(f"{plural(len(found), 'estimate')} due for review:")
    for line in review_lines(found):
        typer.echo(line)


@app.command()
@friendly
def migrate(ctx: typer.Context) -> None:
    """Create the database or bring its schema up to date (the app and CLI also do this on open)."""
    eng = engine(ctx)
    typer.echo(f"database {eng.url.render_as_string(hide_password=True)} is at the newest schema")


def main() -> None:
    try:
        app()
    finally:
        # The process is about to end: spare the interpreter its last full garbage
        # collection over every object of the loaded libraries (about 0.1 s with pandas and
        # SQLAlchemy loaded).  Reference counting still frees them; atexit handlers still run.
        gc.freeze()


if __name__ == "__main__":
    main()
