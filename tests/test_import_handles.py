"""Handles in imports follow the form's rule; Fatebook's names become handles, and the preview says so."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from models import actions
from models.errors import InputError
from models.files import fatebook, interchange
from models.schemas import NewResearcherIn, handle_from_name
from models.store.reads import forecasts_frame, researchers_frame
from tests.factories import cli
from tests.test_fatebook import HEADER, SHEET, export_csv, good_export

RULE = "lowercase letters, digits, _ and - only, like teal_heron"


def _form_message(handle: str) -> str:
    """What the Researchers page says for the same handle."""
    with pytest.raises(ValidationError) as err:
        NewResearcherIn(handle=handle)
    return str(err.value.errors()[0]["msg"])


def _problems(data: bytes, kind: str) -> list[str]:
    with pytest.raises(InputError) as err:
        interchange.parse(data, kind)
    return [str(p) for p in err.value.problems]


FORECASTS = (
    b"researcher,question,probability,as_of\nteal_heron,Q,0.2,2024-01-01\nAda Lovelace,Q,0.3,2024-01-02\n"
)


def test_forecasts_file_refuses_a_bad_handle_by_line_with_the_forms_message() -> None:
    assert _form_message("Ada Lovelace") == f"'Ada Lovelace' is not a handle: use {RULE}"
    assert _problems(FORECASTS, "forecasts") == [
        f"line 3: researcher 'Ada Lovelace' is not a handle: use {RULE}"
    ]


def test_columnar_and_row_readers_refuse_bad_handles_alike() -> None:
    data = FORECASTS + b"TealHeron,Q,0.3,2024-01-03\nteal heron,Q,140%,2024-01-04\n"
    from models.files.columnar import parse_forecasts

    with pytest.raises(InputError) as columnar:
        parse_forecasts(data, interchange.FORECASTS.columns, interchange.FORECASTS.required)
    with pytest.raises(InputError) as rows:
        interchange.parse_rows(data, "forecasts")
    assert (
        [str(p) for p in columnar.value.problems]
        == [str(p) for p in rows.value.problems]
        == [
            f"line 3: researcher 'Ada Lovelace' is not a handle: use {RULE}",
            f"line 4: researcher 'TealHeron' is not a handle: use {RULE}",
            f"line 5: researcher 'teal heron' is not a handle: use {RULE}",
            "line 5: probability 140% is above 100%",
        ]
    )


@pytest.mark.parametrize(
    ("kind", "data", "line"),
    [
        ("researchers", b"handle,name\nada,Ada\nAda L,Ada L\n", "line 3: handle 'Ada L' is not a handle"),
        (
            "ratios",
            b"researcher,question,evidence,ratio,as_of\nAda L,Q,Paper,3,2024-01-01\n",
            "line 2: researcher 'Ada L' is not a handle",
        ),
        (
            "partitions",
            b"partition,question,researcher\nLabs,Lab A,Ada L\n",
            "line 2: researcher 'Ada L' is not a handle",
        ),
        (
            "forecasts",  # a file with condition columns is read row by row
            b"researcher,question,probability,as_of,given,given_outcome\nAda L,Q,0.2,2024-01-01,,\n",
            "line 2: researcher 'Ada L' is not a handle",
        ),
    ],
)
def test_every_file_naming_researchers_refuses_bad_handles(kind: str, data: bytes, line: str) -> None:
    assert _problems(data, kind) == [f"{line}: use {RULE}"]


def test_cli_import_refuses_a_bad_handle_and_writes_nothing(sqlite_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    file = tmp_path / "f.csv"
    file.write_bytes(FORECASTS)
    result = cli(sqlite_url, "import", "forecasts", str(file))
    assert result.exit_code == 1
    assert f"line 3: researcher 'Ada Lovelace' is not a handle: use {RULE}" in result.stderr


@pytest.mark.parametrize(
    ("name", "handle"),
    [
        ("Ada Lovelace", "ada-lovelace"),
        ("ada_lovelace", "ada_lovelace"),
        ("  Ada   Lovelace  ", "ada-lovelace"),
        ("José Núñez", "jose-nunez"),
        ("O'Brien, Pat", "o-brien-pat"),
        ("Dr. Ada K. Lovelace-Byron", "dr-ada-k-lovelace-byron"),
        ("R2D2", "r2d2"),
        ("李雷", "researcher-" + __import__("hashlib").sha256("李雷".encode()).hexdigest()[:8]),
        ("x" * 100, "x" * 80),
    ],
)
def test_handle_from_name_is_a_valid_handle_made_the_same_way_every_time(name: str, handle: str) -> None:
    assert handle_from_name(name) == handle == handle_from_name(name)
    NewResearcherIn(handle=handle)  # valid by the form's rule


def test_fatebook_names_become_handles_and_stay_the_display_name(engine) -> None:  # type: ignore[no-untyped-def]
    summary = actions.import_fatebook(engine, good_export())
    people = researchers_frame(engine).set_index("handle")["name"].to_dict()
    assert people == {"ada-quill": "Ada Quill", "bo-lindqvist": "Bo Lindqvist", "cy-okafor": "Cy Okafor"}
    assert set(forecasts_frame(engine)["researcher"]) == set(people)
    assert summary.lines()[-1] == (
        "handles made from Fatebook names: 'Ada Quill' → ada-quill, 'Bo Lindqvist' → bo-lindqvist, "
        "'Cy Okafor' → cy-okafor"
    )
    # Importing it again maps the names to the same handles: nothing new.
    again = actions.import_fatebook(engine, good_export())
    assert not again.changes_anything()


def test_fatebook_preview_says_which_names_became_handles(engine) -> None:  # type: ignore[no-untyped-def]
    preview = actions.import_fatebook(engine, good_export(), dry_run=True)
    assert "handles made from Fatebook names: 'Ada Quill' → ada-quill" in preview.lines()[-1]
    assert researchers_frame(engine).empty


def test_fatebook_names_that_would_share_a_handle_are_refused() -> None:
    rows = (
        '"Q",,"Ada Quill",0.3,2025-01-02 09:05:7,"Ada Quill",2025-01-01 08:00:0,,,,,,"",,false,,""',
        '"Q",,"ada  quill",0.4,2025-01-03 09:05:7,"Ada Quill",2025-01-01 08:00:0,,,,,,"",,false,,""',
    )
    with pytest.raises(InputError) as err:
        fatebook.parse_fatebook(export_csv(*rows))
    assert [str(p) for p in err.value.problems] == [
        "line 3: Forecast created by 'ada  quill' and 'Ada Quill' (line 2) would both have the handle "
        "'ada-quill': write the name the same way in both"
    ]
    assert HEADER


def test_fatebook_spreadsheet_needs_a_valid_handle_for_its_researcher() -> None:
    with pytest.raises(InputError) as err:
        fatebook.parse_fatebook(SHEET, researcher="Dove Tail")
    assert [str(p) for p in err.value.problems] == [f"researcher 'Dove Tail' is not a handle: use {RULE}"]
