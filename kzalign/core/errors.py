"""Errors that kzalign reports to users: each names where the problem is and what is wrong."""

from __future__ import annotations

from dataclasses import dataclass


class KzalignError(Exception):
    """Base class for errors the CLI shows to the user as a clean message (no traceback)."""


@dataclass
class Problem:
    """One problem found in an input: where (file, line or row) and what is wrong."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.message}"


class InputWarning(Problem):
    """Something odd in an input that does not stop it: the item is kept, and the warning says what was done
    (e.g. an unreadable date: the item is kept undated rather than given a wrong date)."""


class InputError(KzalignError):
    """Bad user input; carries every problem found so the user can fix them all at once."""

    def __init__(self, problems: list[Problem] | Problem | str, hint: str | None = None):
        if isinstance(problems, str):
            problems = [Problem("<input>", None, problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        self.hint = hint
        super().__init__(self._render())

    def _render(self) -> str:
        lines = [str(p) for p in self.problems[:50]]
        if len(self.problems) > 50:
            lines.append(f"... and {len(self.problems) - 50} more problems")
        if self.hint:
            lines.append(self.hint)
        return "\n".join(lines)


class WorkspaceError(KzalignError):
    """The workspace is missing, from a newer kzalign, or not in the state a command needs."""
