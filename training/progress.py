"""Training progress: shown on the terminal at least every ``every`` seconds and logged to the MLflow run.

``during(phase)`` wraps a long step of a training run (the fit, the test scoring). Inside it:

- progress records that estimators log (a ``progress`` dict on the log record, as the transformer's
  ``fit`` writes every 30 s with step, rows/s, ETA and last dev score) become run metrics
  ``progress/<name>`` at their step, rounded as every logged metric;
- a heartbeat thread logs ``<phase>: still running after N s`` whenever nothing else reported progress
  for ``every`` seconds, so that no kind of model looks dead on a terminal.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time

from training.tracking import rounded

log = logging.getLogger("training.progress")


class ProgressToRun(logging.Handler):
    """Forwards log records that carry a ``progress`` dict to the active MLflow run as metrics."""

    def __init__(self, log_metrics=None, clock=time.monotonic):
        super().__init__(logging.INFO)
        self.log_metrics = log_metrics
        self.clock = clock
        self.last = clock()

    def emit(self, record: logging.LogRecord) -> None:
        self.last = self.clock()
        figures = getattr(record, "progress", None)
        if not isinstance(figures, dict):
            return
        metrics = rounded({f"progress/{k}": v for k, v in figures.items() if k != "step" and _number(v)})
        try:
            self.log_metrics(metrics, step=int(figures.get("step", 0)))
        except Exception as error:  # noqa: BLE001 - progress must never stop training
            log.warning("progress not logged to the run: %s", error)


def _number(value) -> bool:
    return isinstance(value, (int, float)) and value == value and abs(value) != float("inf")


@contextlib.contextmanager
def during(phase: str, every: float = 30.0, log_metrics=None, logger: str = "classifier"):
    """Report progress for the block: estimator progress to the run, a heartbeat when nothing else speaks."""
    if log_metrics is None:
        import mlflow

        log_metrics = mlflow.log_metrics
    handler = ProgressToRun(log_metrics)
    source = logging.getLogger(logger)
    source.addHandler(handler)
    stop = threading.Event()
    started = time.monotonic()

    def heartbeat() -> None:
        while not stop.wait(min(every, 5.0)):
            now = time.monotonic()
            if now - handler.last >= every:
                handler.last = now
                log.info("%s: still running after %.0f s", phase, now - started)

    thread = threading.Thread(target=heartbeat, name="training-progress", daemon=True)
    thread.start()
    try:
        yield handler
    finally:
        stop.set()
        thread.join()
        source.removeHandler(handler)
