"""The shared limits: time range, text, numbers, links, spreadsheet cells, tolerant time reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pandas as pd
import pytest

from models.limits import (
    LONG_TEXT_MAX,
    MAX_TIME,
    MIN_TIME,
    check_finite,
    check_text,
    check_time,
    check_url,
    is_web_link,
    safe_cell,
    safe_frame,
    to_utc,
    to_utc_times,
)


@pytest.mark.parametrize("dt", [MIN_TIME, MAX_TIME, datetime(2025, 3, 4, tzinfo=UTC)])
def test_times_inside_the_range_pass(dt):
    assert check_time(dt) == dt


@pytest.mark.parametrize(
    "dt",
    [
        datetime(1600, 1, 1, tzinfo=UTC),
        datetime(2999, 1, 1, tzinfo=UTC),
        MIN_TIME - timedelta(microseconds=1),
        MAX_TIME + timedelta(microseconds=1),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, tzinfo=UTC),
    ],
)
def test_times_outside_the_range_are_refused_with_the_range(dt):
    with pytest.raises(ValueError, match="outside the supported range 1900-01-01 to 2200-12-31"):
        check_time(dt)


def test_a_time_whose_utc_overflows_is_refused_not_raised():
    with pytest.raises(ValueError, match="outside the supported range"):
        to_utc(datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))))
    with pytest.raises(ValueError, match="outside the supported range"):
        to_utc(datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-2))))


@pytest.mark.parametrize("text", ["a\x00b", "\x00"])
def test_nul_is_refused(text):
    with pytest.raises(ValueError, match="NUL"):
        check_text(text)


def test_unpaired_surrogate_is_refused():
    with pytest.raises(ValueError, match="surrogate"):
        check_text("a\ud800b")


def test_text_over_its_limit_is_refused_with_the_limit():
    assert check_text("x" * LONG_TEXT_MAX, LONG_TEXT_MAX)
    with pytest.raises(ValueError, match="at most 100,000"):
        check_text("x" * (LONG_TEXT_MAX + 1), LONG_TEXT_MAX)


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_non_finite_numbers_are_refused(value):
    with pytest.raises(ValueError, match="finite"):
        check_finite(value)


@pytest.mark.parametrize("url", ["http://example.org/a", "HTTPS://example.org/a?b=c#d"])
def test_web_addresses_pass(url):
    assert check_url(url) == url
    assert is_web_link(url)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "vbscript:msgbox(1)",
        "VBScript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "DATA:text/html,x",
        "file:///etc/passwd",
        "ftp://example.org/x",
        "example.org/no-scheme",
        "http://",
        " javascript:alert(1)",
        "\tjavascript:alert(1)",
        "java\nscript:alert(1)",
    ],
)
def test_other_schemes_are_not_links(url):
    assert not is_web_link(url)
    with pytest.raises(ValueError):
        check_url(url)


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+A1", "'+A1"),
        ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("'=x", "''=x"),
        ("plain", "plain"),
        ("-5.0", "-5.0"),
        ("-3%", "-3%"),
        ("+1e5", "+1e5"),
        (-5.0, -5.0),
        (None, None),
    ],
)
def test_safe_cell_neutralises_formulas_but_not_numbers(cell, safe):
    assert safe_cell(cell) == safe


def test_safe_frame_touches_only_text_columns():
    df = pd.DataFrame({"t": ["=HYPERLINK(1)", "ok", None], "n": [-1.0, 2.0, 3.0]})
    out = safe_frame(df)
    assert out["t"].tolist()[:2] == ["'=HYPERLINK(1)", "ok"]
    assert pd.isna(out["t"][2])
    assert out["n"].tolist() == [-1.0, 2.0, 3.0]


def test_reading_times_clips_values_outside_the_range_instead_of_failing():
    values = [
        datetime(1600, 1, 1, tzinfo=UTC),
        datetime(2999, 1, 1, tzinfo=UTC),
        None,
        datetime(2020, 1, 1, tzinfo=UTC),
    ]
    out = to_utc_times(values)
    assert str(out.dtype) == "datetime64[ns, UTC]"
    assert out[0] == pd.Timestamp(MIN_TIME)
    assert out[1] == pd.Timestamp(MAX_TIME)
    assert pd.isna(out[2])
    assert out[3] == pd.Timestamp("2020-01-01", tz="UTC")


def test_reading_iso_text_times_clips_too():
    out = to_utc_times(
        pd.Series(["1600-01-01T00:00:00+00:00", "2025-03-04 10:00:00", "garbage"]), format="ISO8601"
    )
    assert out.tolist()[:2] == [pd.Timestamp(MIN_TIME), pd.Timestamp("2025-03-04 10:00", tz="UTC")]
    assert pd.isna(out[2])


@pytest.mark.parametrize(
    "text",
    [
        "Will AI R&D be automated by 2030?",
        "teal_heron",
        "P(A | B) = 40%",
        "10:30:00",
        "~1.6x",
        "$5 bn",
        "a@b.org",
    ],
)
def test_md_plain_leaves_ordinary_text_as_typed(text):
    from models.limits import md_plain

    assert md_plain(text) == text


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("![x](http://h/x.png)", "!\\[x\\](http\\://h/x.png)"),
        ("<img src=x>", "\\<img src=x\\>"),
        ("**bold** and _em_", "\\*\\*bold\\*\\* and \\_em\\_"),
        ("# title\n- item\n1. one\n---", "\\# title\n\\- item\n1\\. one\n\\---"),
        ("www.example.org &#106; :smile: $x$", "www\\.example.org \\&#106; \\:smile: \\$x\\$"),
        ("a | b\nc", "a \\| b\nc"),
    ],
)
def test_md_plain_escapes_what_markdown_would_read(text, escaped):
    from models.limits import md_plain

    assert md_plain(text) == escaped
