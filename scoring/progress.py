"""Progress of a run: a bar on a terminal, periodic log lines otherwise.

The line is drawn after each chunk is written and, while a chunk is being scored (256 articles may take
a transformer half a minute), again by a heartbeat thread: on a terminal every ``TICK`` seconds, in a
log every ``every`` seconds, saying how many articles are being scored and for how long. The heartbeat
only draws; the output is written by the run alone.
"""

from __future__ import annotations

import threading
import time

from scoring.records import Summary

TICK = 1.0  # seconds between the heartbeat's looks: on a terminal it redraws at each


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
        self.summary = Summary()  # as of the last chunk written
        self.taken = 0  # articles handed to scoring; those beyond summary.read are in flight
        self.since = self.started  # when the last chunk was written (or the run started)
        self.width = 0  # of the last bar drawn, to blank what a shorter one leaves behind
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    def counting(self, chunks):
        """The chunks, each counted as in flight when it is taken for scoring."""
        for chunk in chunks:
            with self.lock:
                self.taken += len(chunk)
            yield chunk

    def start(self) -> None:
        """Start the heartbeat (after any worker processes are forked: a thread must not be copied mid-write)."""
        if self.thread is None:
            self.thread = threading.Thread(target=self._beat, name="score-progress", daemon=True)
            self.thread.start()

    def _beat(self) -> None:
        while not self.stop.wait(TICK):
            self.tick()

    def tick(self) -> None:
        """Redraw the line while a chunk is being scored (when it is due)."""
        with self.lock:
            if self.taken > self.summary.read:
                self._draw(self.summary, self.clock(), force=False, heartbeat=True)

    def update(self, summary: Summary, force: bool = False) -> None:
        """A chunk was written: ``summary`` is this run's so far."""
        with self.lock:
            now = self.clock()
            self.summary = Summary(read=summary.read, ok=summary.ok, empty=summary.empty, error=summary.error)
            self.since = now
            fraction = self.fraction()
            if self.baseline is None:
                self.baseline = (now, fraction or 0.0)
            self._draw(self.summary, now, force, heartbeat=False, fraction=fraction)

    def _draw(self, summary: Summary, now: float, force: bool, heartbeat: bool, fraction=None) -> None:
        if not force and now - self.last < self.every:
            return
        self.last = now
        if fraction is None:
            fraction = self.fraction()
        rate = summary.read / max(now - self.started, 1e-9)
        eta = ""
        if self.baseline is not None:
            since, start = self.baseline
            if fraction is not None and fraction > start and now > since:
                eta = f"ETA {_clock((now - since) * (1 - fraction) / (fraction - start))}"
        percent = f"{100 * fraction:5.1f}%" if fraction is not None else ""
        busy = f"scoring {self.taken - summary.read:,} more for {now - self.since:.0f} s" if heartbeat else ""
        if self.tty:
            filled = int(20 * (fraction or 0))
            bar = "#" * filled + "-" * (20 - filled)
            line = f"[{bar}] {percent} {summary.read:,} articles {rate:,.0f}/s {eta} errors {summary.error:,}"
            line += f" ({busy})" if busy else ""
            self.stream.write("\r" + line.ljust(self.width) + "  ")
            self.width = len(line)
        else:
            self.stream.write(
                f"score: {summary.read:,} records ({summary.ok:,} ok, {summary.empty:,} empty, {summary.error:,} error), "
                f"{rate:,.0f} articles/s, {percent.strip() or '?'} of input, {eta or 'ETA ?'}"
                + (f"; {busy}" if busy else "")
                + "\n"
            )
        self.stream.flush()

    def close(self) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join()
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
