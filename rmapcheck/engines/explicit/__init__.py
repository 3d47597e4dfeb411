"""The explicit-state engine: breadth-first search over every interleaving."""

from rmapcheck.engines.explicit.search import explore  # noqa: F401
