"""What a memory model says about one execution graph."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Judgement:
    """consistent: the model allows the execution; failed: the first axiom it violates
    (cat's name: 'coherence', 'happens-before', ...); flags: the `flag ~empty` clauses the
    execution raises ('data-race')."""

    consistent: bool
    failed: str | None = None
    flags: tuple = ()
    races: tuple = ()  # the racing pairs of events (cat's ww-race | wr-race | rw-race)


ALLOWED = Judgement(True)


def forbidden(axiom: str) -> Judgement:
    return Judgement(False, axiom)


__all__ = ["Judgement", "ALLOWED", "forbidden"]
