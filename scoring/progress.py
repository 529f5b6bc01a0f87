"""Progress of a run: a bar on a terminal, periodic log lines otherwise."""

from __future__ import annotations

import time

from scoring.records import Summary


class Reporter:
    """A progress bar on a terminal; plain periodic log lines otherwise."""

    def __init__(self, stream, fraction, every: float = 30.0, clock=time.monotonic):
        self.stream = stream
        self.fraction = fraction
        self.clock = clock
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.every = 0.5 if self.tty else every
        self.started = clock()
        self.last = self.started
        self.baseline: tuple[float, float] | None = None  # (time, fraction) after the first chunk: a resume skips first

    def update(self, summary: Summary, force: bool = False) -> None:
        now = self.clock()
        fraction = self.fraction()
        if self.baseline is None:
            self.baseline = (now, fraction or 0.0)
        if not force and now - self.last < self.every:
            return
        self.last = now
        rate = summary.read / max(now - self.started, 1e-9)
        eta = ""
        since, start = self.baseline
        if fraction is not None and fraction > start and now > since:
            eta = f"ETA {_clock((now - since) * (1 - fraction) / (fraction - start))}"
        percent = f"{100 * fraction:5.1f}%" if fraction is not None else ""
        if self.tty:
            filled = int(20 * (fraction or 0))
            bar = "#" * filled + "-" * (20 - filled)
            line = f"\r[{bar}] {percent} {summary.read:,} articles {rate:,.0f}/s {eta} errors {summary.error:,}  "
            self.stream.write(line)
        else:
            self.stream.write(
                f"score: {summary.read:,} records ({summary.ok:,} ok, {summary.empty:,} empty, {summary.error:,} error), "
                f"{rate:,.0f} articles/s, {percent.strip() or '?'} of input, {eta or 'ETA ?'}\n"
            )
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
