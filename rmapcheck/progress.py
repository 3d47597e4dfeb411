"""Progress of a long command on stderr: runs done of total, states, states/s, elapsed, estimate.

On a terminal it is one live line (rich), redrawn in place and cleared when the command
ends, so the results printed on stdout meanwhile appear above it, never on its end. When
stderr is not a terminal (a CI log), it is a plain line every ``PLAIN_EVERY`` seconds.

The estimate is shown only once a run has finished, and from the runs' estimated costs
(rmapcheck.jobs.weight), not their count: the bundled models differ in size by a factor of
a thousand, so "runs left x mean time" would be a guess dressed up as a number.

    with Progress("verify", weights) as bar:
        res = check_program(..., progress=bar.run_callback(label))
        bar.finished(k, res.stats.states)
"""

from __future__ import annotations

import sys
import time

PLAIN_EVERY = 10.0


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 \
        else f"{seconds // 60}:{seconds % 60:02d}"


class Progress:
    """Runs done of total for one command; a callback per run for the states of the run going on."""

    def __init__(self, command: str, weights: list[float], stream=None, unit: str = "runs"):
        self.command = command
        self.weights = [max(w, 1e-9) for w in weights] or [1.0]
        self.total = len(weights)
        self.unit = unit
        self.stream = stream or sys.stderr
        self.live = _isatty(self.stream)
        self.done: set[int] = set()
        self.states_done = 0  # states of the finished runs
        self.states_now = 0  # states of the run(s) going on, as last reported
        self.current = ""
        self.start = time.monotonic()
        self._last_plain = self.start
        self._counted_at = self.start  # when the states were last counted: the rate is up to then
        self._rich = None

    # -- life cycle -------------------------------------------------------------------------------

    def __enter__(self) -> "Progress":
        if self.live:
            from rich.console import Console
            from rich.live import Live

            console = Console(file=self.stream, highlight=False, soft_wrap=True)
            # rich redraws the line four times a second (the elapsed time moves on its own)
            self._rich = Live(self, console=console, transient=True, refresh_per_second=4,
                              redirect_stdout=_isatty(sys.stdout), redirect_stderr=False)
            self._rich.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._rich is not None:
            self._rich.stop()  # transient: the line is cleared
            self._rich = None

    def __rich__(self):
        from rich.text import Text

        return Text(self.line(), no_wrap=True, overflow="ellipsis")

    # -- what the command reports -----------------------------------------------------------------

    def run_callback(self, label: str):
        """The engine's progress callback (states, depth, seconds) for the run called label."""
        def report(states: int, depth: int, seconds: float) -> None:
            self.current = f"{label}, depth {depth}"
            self.states_now = states
            self._counted_at = time.monotonic()
            self._update()

        return report

    def set_total(self, total: int, weights: list[float] | None = None) -> None:
        """The number of runs, once the command knows it (each of cost 1 unless weights say)."""
        self.total = total
        self.weights = [max(w, 1e-9) for w in weights] if weights else [1.0] * max(total, 1)
        self._update()

    def started(self, label: str) -> None:
        self.current = label
        self.states_now = 0
        self._update()

    def finished(self, index: int, states: int = 0) -> None:
        self.done.add(index)
        self.states_done += states
        self._counted_at = time.monotonic()
        self.states_now = 0
        self.current = ""
        self._update()

    # -- the line ---------------------------------------------------------------------------------

    def line(self) -> str:
        elapsed = time.monotonic() - self.start
        states = self.states_done + self.states_now
        parts = [f"rmapcheck {self.command}: {len(self.done)}/{self.total} {self.unit}"]
        if states:
            parts.append(f"{states} states, {states / max(self._counted_at - self.start, 1e-9):.0f} states/s")
        parts.append(f"{_duration(elapsed)} elapsed")
        est = self.estimate(elapsed)
        if est is not None:
            parts.append(f"about {_duration(est)} left (estimate)")
        if self.current:
            parts.append(self.current)
        return ", ".join(parts)

    def estimate(self, elapsed: float) -> float | None:
        """Seconds left, from the estimated cost of the runs done and to do; None before the
        first run has finished (nothing to go on) or after the last."""
        if not self.done or len(self.done) == self.total:
            return None
        w_done = sum(self.weights[k] for k in self.done if k < len(self.weights))
        w_left = sum(self.weights) - w_done
        return elapsed * w_left / max(w_done, 1e-9)

    def _update(self) -> None:
        if self._rich is not None:
            return  # the live display asks for the line itself
        now = time.monotonic()
        if now - self._last_plain < PLAIN_EVERY:  # a short command prints no progress at all
            return
        self._last_plain = now
        self.stream.write(self.line() + "\n")
        self.stream.flush()


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class CurrentStdout:
    """sys.stdout as it is when written to: on a terminal the progress line replaces it for a
    while (rich), to print the results above itself."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()
