"""Reading a file the user named: one clear message (exit 2) for every way it can fail."""

from __future__ import annotations

import os

from rmapcheck.errors import ModelError, SourceLoc, UsageError


def read_source_text(path: str, what: str) -> str:
    """The UTF-8 text of `path`, a `what` ("model file", "litmus test", "proof file").

    A missing file, a directory or an unreadable file is a usage error; bytes that are not
    UTF-8 are an error at the line they stand on."""
    if not os.path.exists(path):
        raise UsageError(f"{path}: no such file")
    if os.path.isdir(path):
        raise UsageError(f"{path}: is a directory, not a {what}")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise UsageError(f"{path}: cannot read: {e.strerror}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        noun = what.removesuffix(" file")
        raise ModelError(SourceLoc(path, line, 1), f"the {noun} is not valid UTF-8 text") from None
