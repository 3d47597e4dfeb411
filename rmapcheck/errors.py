"""User-facing errors: one clear message with file:line:col, never a traceback."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceLoc:
    """A position in a model file (1-based line and column)."""

    file: str
    line: int
    col: int = 1
    included: bool = False  # in a file the model #includes, not the model itself

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    @property
    def where(self) -> str:
        """The position in a sentence: 'line 12' in the model, 'kvm_sets.h:12' in an included file."""
        return where_text(self.line, self.incl_file)

    @property
    def incl_file(self) -> str:
        """The file for a trace step: "" in the model itself, else the included file."""
        return self.file if self.included else ""


def pos_text(line: int, file: str = "") -> str:
    """A line for a 'func:line' column: '12', or 'kvm_sets.h:12' in an included file ("" = the model)."""
    return f"{file.replace(chr(92), '/').rsplit('/', 1)[-1]}:{line}" if file else str(line)


def where_text(line: int, file: str = "") -> str:
    """A line in a sentence: 'line 12', or 'kvm_sets.h:12' in an included file ("" = the model)."""
    return pos_text(line, file) if file else f"line {line}"


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
        self.included_from: list | None = None  # the #include lines that led to loc.file, innermost first

    def render(self) -> str:
        head = f"{self.loc}: error: {self.message}" if self.loc else f"error: {self.message}"
        if self.included_from:
            # as a C compiler says it: the chain of #include lines, innermost first
            chain = [f"{'In file included from' if k == 0 else '                 from'} {w.file}:{w.line}"
                     for k, w in enumerate(self.included_from)]
            head = ",\n".join(chain) + ":\n" + head
        if self.source_line is None or self.loc is None:
            return head
        text = self.source_line.rstrip("\n").expandtabs(1)
        caret = " " * max(self.loc.col - 1, 0) + "^"
        return f"{head}\n  {text}\n  {caret}"


class InternalError(Exception):
    """A bug in rmapcheck itself (exit 4): e.g. a z3 trace that does not replay."""

    exit_code = 4
