"""Problems and the errors that carry them to the user as a message, never as a traceback.

A :class:`Problem` is one thing wrong with some input: its ``message``, the ``field`` it is
about (the input's key, e.g. ``as_of``; a page shows the message next to that input) and the
``line`` of a file it came from.  ``str(problem)`` is what a person reads, with the field
named in words: ``line 9: as of 2027-01-01 is in the future``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError

#: How fields are named to a person, where the key is not already a word.
FIELD_LABELS = {
    "as_of": "as of",
    "resolve_by": "resolve by",
    "resolved_at": "resolved at",
    "recorded_at": "recorded at",
    "given_outcome": "given outcome",
    "clear_capability": "capability",
    "clear_resolve_by": "resolve by",
    "review_every_days": "review every",
    "clear_review_every": "review every",
}

#: pydantic's own wording, replaced by ours (pydantic's never reaches a user).
_PYDANTIC_WORDS = {
    "missing": "is required",
    "string_too_short": "must not be empty",
    "too_short": "must not be empty",
    "string_too_long": "is too long",
    "too_long": "has too many items",
    "extra_forbidden": "is not a known field",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "finite_number": "must be a finite number",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "string_type": "must be text",
    "list_type": "must be a list",
    "enum": "is not one of the allowed values",
    "literal_error": "is not one of the allowed values",
    "greater_than": "is too small",
    "greater_than_equal": "is too small",
    "less_than": "is too large",
    "less_than_equal": "is too large",
}


def field_label(field: str) -> str:
    """``"as_of"`` → ``"as of"``: a field as a person names it."""
    return FIELD_LABELS.get(field, field.replace("_", " "))


@dataclass(frozen=True)
class Problem:
    """One thing wrong with some input; nothing was written because of it."""

    message: str
    field: str = ""
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line is not None else ""
        what = f"{field_label(self.field)} " if self.field else ""
        return f"{where}{what}{self.message}"

    def at_line(self, line: int | None) -> Problem:
        return Problem(self.message, self.field, line)

    @classmethod
    def from_validation_error(cls, error: ValidationError, line: int | None = None) -> list[Problem]:
        """The one way a pydantic error becomes problems: one per error, in our words.

        The field is the first element of the error's location (``evidence.0.title`` is the
        field ``evidence``).  Our validators' messages (error type ``credence``) are kept;
        pydantic's are replaced by :data:`_PYDANTIC_WORDS` (or "is not valid").
        """
        out = []
        for err in error.errors():
            loc = [str(p) for p in err["loc"]]
            field = loc[0] if loc else ""
            if err["type"] == "credence":
                msg = err["msg"]
            else:
                msg = _PYDANTIC_WORDS.get(err["type"], "is not valid")
            out.append(cls(msg, field, line))
        return out


def _problem(item: Problem | str) -> Problem:
    return item if isinstance(item, Problem) else Problem(item)


class CredenceError(Exception):
    """A problem the user can fix; ``str(err)`` is the whole message."""


class InputError(CredenceError):
    """Input was refused; nothing was written.

    ``items`` holds the :class:`Problem` values; ``problems`` the lines a person reads,
    each naming its line and field where known: ``line 3: probability 140% is above 100%``.
    """

    def __init__(self, problems: Iterable[Problem | str], *, source: str | None = None):
        self.items: list[Problem] = [_problem(p) for p in problems]
        self.source = source
        head = f"{source}: " if source else ""
        shown = self.problems[:20]
        more = (
            f"\n… and {len(self.problems) - len(shown)} more problems"
            if len(self.problems) > len(shown)
            else ""
        )
        super().__init__(head + "\n".join(shown) + more + ("\nNothing was written." if source else ""))

    @classmethod
    def from_validation_error(cls, error: ValidationError, line: int | None = None) -> InputError:
        return cls(Problem.from_validation_error(error, line))

    @property
    def problems(self) -> list[str]:
        return [str(p) for p in self.items]

    @property
    def fields(self) -> dict[str, str]:
        """``{field: message}`` (the first problem of each field; ``""`` for the rest), for forms."""
        out: dict[str, str] = {}
        for p in self.items:
            out.setdefault(p.field, p.message)
        return out

    def with_source(self, source: str) -> InputError:
        return InputError(self.items, source=source)


def sort_by_line(problems: Sequence[Problem]) -> list[Problem]:
    """Problems in file order (those without a line first), duplicates dropped."""
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: p.line or 0)


class NotFound(CredenceError):
    """The thing asked for does not exist (or was deleted)."""


class NotAllowed(CredenceError):
    """The signed-in member may not do this (team mode); the message says why.  Nothing was written."""
