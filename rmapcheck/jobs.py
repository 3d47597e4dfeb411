"""`rmapcheck verify -j N`: the runs of a verify in a pool of worker processes.

Each run (one model, one memory model, one configuration) is independent, so the
runs are handed to N worker processes, the most expensive first (estimated by
:func:`weight`), and their results are put back in the order of the plan: the
output is the same for every N, but for the timing columns.

Workers are started with 'spawn' (a fresh interpreter: nothing inherited but the
arguments), and report errors as values: the parent raises them again, so a bad
model gives the same one message and exit status as without -j.
"""

from __future__ import annotations

import os
import pickle
import sys

from rmapcheck.errors import ModelError


def default_jobs() -> int:
    """The number of CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


# ra costs about twice as much per state as sc (views, histories); the bundled models' ra runs
# are about as large as their sc runs (they use smaller parameters under ra)
MM_WEIGHT = {"sc": 1.0, "ra": 1.6}


def weight(program, memory_model: str, cfg: dict) -> float:
    """A rough estimate of a run's cost, only to start the long runs first."""
    size = sum(len(th.code) * th.instances for th in program.threads)
    return MM_WEIGHT.get(memory_model, 1.0) * size * (1.3 if cfg else 1.0) * (1 + program.meta.faults)


def _line_progress(label: str):
    """A progress line every 10 s of a run: whole lines, so that workers do not garble each other."""
    last = [0.0]

    def report(states: int, depth: int, seconds: float) -> None:
        if seconds - last[0] < 10:
            return
        last[0] = seconds
        sys.stderr.write(f"{label}: {states} states, depth {depth}, {seconds:.0f} s, "
                         f"{states / max(seconds, 1e-9):.0f} states/s\n")
        sys.stderr.flush()

    return report


def _work(task):
    index, fn, args, label = task
    try:
        return index, "ok", fn(*args, _line_progress(label) if label else None)
    except ModelError as e:  # its constructor takes more than a message: send its parts
        return index, "model", (e.loc, e.message, e.source_line)
    except KeyboardInterrupt:
        return index, "interrupt", None
    except BaseException as e:  # noqa: BLE001 - the parent raises it again
        try:
            pickle.dumps(e)
        except Exception:  # noqa: BLE001
            e = RuntimeError(f"{type(e).__name__}: {e}")
        return index, "exc", e


def imap_pool(fn, tasks: list, jobs: int):
    """fn(*args, progress) for each (args, weight, label) of tasks, on `jobs` processes.

    Yields (index, kind, value) as the tasks finish, the heaviest started first: kind "ok"
    (value: fn's result), "model" (value: the ModelError it raised) or "exc" (any other
    exception). An interrupt in a worker is raised here.
    """
    import multiprocessing

    order = sorted(range(len(tasks)), key=lambda k: -tasks[k][1])  # stable: ties keep plan order
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(min(jobs, len(tasks))) as pool:
        work = [(k, fn, tasks[k][0], tasks[k][2]) for k in order]
        for index, kind, value in pool.imap_unordered(_work, work, chunksize=1):
            if kind == "interrupt":
                raise KeyboardInterrupt
            yield index, kind, ModelError(*value) if kind == "model" else value


def run_pool(fn, tasks: list, jobs: int) -> list:
    """The results of imap_pool in the order of tasks; the first error (in the order the
    runs finish) stops the pool and is raised here."""
    out: list = [None] * len(tasks)
    for index, kind, value in imap_pool(fn, tasks, jobs):
        if kind != "ok":
            raise value
        out[index] = value
    return out
