"""Front end: model text (a kernel-style C subset) to the IR."""

from rmapcheck.frontend.load import load_model  # noqa: F401
