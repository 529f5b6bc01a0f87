"""Training progress: the transformer's progress lines (step, rows/s, ETA, last dev score) at most every
``progress_every`` seconds, their forwarding to the run's metrics, and the heartbeat of any long phase."""

from __future__ import annotations

import logging
import time

from classifier.models import transformer
from classifier.models.transformer import Progress
from training import progress


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_progress_speaks_every_period_and_on_each_dev_score(caplog):
    clock = Clock()
    meter = Progress(total=100, batch_size=16, every=30.0, started=0.0, clock=clock)
    caplog.set_level(logging.INFO, logger=transformer.__name__)
    clock.now = 10.0
    assert meter.step(5, 0, 0.7) is None
    clock.now = 31.0
    figures = meter.step(10, 0, 0.6)
    assert figures["rows_per_second"] == 160 / 31.0 and round(figures["eta_seconds"]) == 279
    assert "dev_map" not in figures
    assert "step 10/100 (epoch 1)" in caplog.text and "ETA 0:04:39" in caplog.text and "dev mAP not yet" in caplog.text
    clock.now = 35.0
    assert meter.step(12, 0, 0.5, dev_map=0.61)["dev_map"] == 0.61  # a dev score is reported at once
    clock.now = 70.0
    assert meter.step(20, 1, 0.4)["dev_map"] == 0.61  # and kept as the last dev score
    assert caplog.text.count("progress: step") == 3


def test_progress_records_become_run_metrics_and_silence_gets_a_heartbeat(caplog):
    logged = []
    caplog.set_level(logging.INFO)
    source = logging.getLogger("classifier.models.transformer")
    with progress.during("fitting", every=0.3, log_metrics=lambda m, step: logged.append((step, m))):
        source.info(
            "progress", extra={"progress": {"step": 7, "rows_per_second": 3.456789, "eta_seconds": float("nan")}}
        )
        time.sleep(1.5)
    assert logged == [(7, {"progress/rows_per_second": 3.4568})]  # rounded as every logged metric
    assert "fitting: still running after" in caplog.text
    assert not any(
        isinstance(h, progress.ProgressToRun) for h in source.handlers + logging.getLogger("classifier").handlers
    )


def test_a_failing_metrics_store_does_not_stop_training(caplog):
    def broken(metrics, step):
        raise OSError("store gone")

    caplog.set_level(logging.INFO)
    with progress.during("fitting", every=60, log_metrics=broken):
        logging.getLogger("classifier.x").info("p", extra={"progress": {"step": 1, "loss": 0.5}})
    assert "progress not logged to the run: store gone" in caplog.text
