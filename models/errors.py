"""Errors that reach the user as a message, never as a traceback."""

from __future__ import annotations


class CredenceError(Exception):
    """A problem the user can fix; ``str(err)`` is the whole message."""


class InputError(CredenceError):
    """Input was refused; nothing was written.

    ``problems`` holds one line per problem, each naming its line and field where known:
    ``line 3: probability 140% is above 100%``.
    """

    def __init__(self, problems: list[str], *, source: str | None = None):
        self.problems = problems
        self.source = source
        head = f"{source}: " if source else ""
        shown = problems[:20]
        more = f"\n… and {len(problems) - len(shown)} more problems" if len(problems) > len(shown) else ""
        super().__init__(head + "\n".join(shown) + more + ("\nNothing was written." if source else ""))

    @property
    def fields(self) -> dict[str, str]:
        """``{field: message}`` for problems of the form ``field message`` (form input)."""
        out: dict[str, str] = {}
        for p in self.problems:
            field, _, msg = p.partition(" ")
            out.setdefault(field, msg)
        return out


class NotFound(CredenceError):
    """The thing asked for does not exist (or was deleted)."""
