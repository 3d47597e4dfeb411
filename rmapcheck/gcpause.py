"""Python's cycle collector paused over the phases that build many long-lived objects.

A run (front end, static analysis, search, traces) makes millions of containers that hold no
cycle, and while they live every automatic collection walks them again: the static analysis
of a KVM model spent 70 % of its time in the collector, a search 20 %. The few cycles a phase
leaves (exceptions' tracebacks) are young, so one collection of the youngest generation when
the outermost pause ends finds them: every object made meanwhile is still in it."""

from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def cycle_collector_paused():
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
            gc.collect(0)
