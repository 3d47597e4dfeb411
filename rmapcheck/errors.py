"""User-facing errors: one clear message with file:line:col, never a traceback."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceLoc:
    """A position in a model file (1-based line and column)."""

    file: str
    line: int
    col: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


class RmapcheckError(Exception):
    """Base of every error that is reported to the user with exit status 2."""

    exit_code = 2


class UsageError(RmapcheckError):
    """Bad command line: unknown flag value, missing file, bad -D."""


class ModelError(RmapcheckError):
    """A problem in a model file, tied to a source position."""

    def __init__(self, loc: SourceLoc | None, message: str, source_line: str | None = None):
        super().__init__(message)
        self.loc = loc
        self.message = message
        self.source_line = source_line

    def render(self) -> str:
        head = f"{self.loc}: error: {self.message}" if self.loc else f"error: {self.message}"
        if self.source_line is None or self.loc is None:
            return head
        text = self.source_line.rstrip("\n").expandtabs(1)
        caret = " " * max(self.loc.col - 1, 0) + "^"
        return f"{head}\n  {text}\n  {caret}"


class InternalError(Exception):
    """A bug in rmapcheck itself (exit 4): e.g. a z3 trace that does not replay."""

    exit_code = 4
