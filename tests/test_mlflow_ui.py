"""The MLflow UI on a tiny store, seen in headless Chromium: the URL `make ui` prints opens the training
runs in the model-training view (a fresh browser, no switch chosen); the run page shows the run's
description (from the experiment's YAML); the error table's Markdown copy shows a paragraph whole; the
registered model page shows the model and its alias."""

from __future__ import annotations

import html
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from classifier.store import REPO_ROOT
from training.tracking import ui_url

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
MLFLOW = Path(os.environ.get("VIRTUAL_ENV", REPO_ROOT / ".venv")) / "bin" / "mlflow"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def render(url: str, profile: Path, screenshot: Path | None = None) -> str:
    """The DOM after the page's scripts ran (and a screenshot of it, when asked)."""
    base = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
        "--window-size=1400,1000", "--virtual-time-budget=15000",
    ]  # fmt: skip
    if screenshot is not None:
        subprocess.run([*base, f"--screenshot={screenshot}", url], capture_output=True, timeout=180)
    return subprocess.run([*base, "--dump-dom", url], capture_output=True, text=True, timeout=180).stdout


@pytest.mark.chromium
@pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (Debian: apt-get install chromium); not installed")
@pytest.mark.skipif(not MLFLOW.exists(), reason="needs the mlflow command of the project's .venv")
def test_run_and_model_pages_in_chromium(tiny_model_store, tmp_path):
    from mlflow import MlflowClient

    port = free_port()
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false", "MLFLOW_DISABLE_TELEMETRY": "true"}
    server = subprocess.Popen(
        [MLFLOW, "ui", "--backend-store-uri", tiny_model_store["uri"], "--host", "127.0.0.1", "--port", str(port)]
        + ["--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("the MLflow UI did not start within 60 s")
        client = MlflowClient(tiny_model_store["uri"])
        experiment = client.get_experiment_by_name("narrative-classifier")
        (run,) = client.search_runs([experiment.experiment_id], max_results=1)

        printed = ui_url(port, tiny_model_store["uri"])
        runs_page = render(printed, tmp_path / "p0")
        assert "Detect Issues" not in runs_page and "Model training" in runs_page  # not the GenAI view
        assert ">tiny<" in runs_page  # the runs table, with the run
        plain = render(f"{base}/#/experiments/{experiment.experiment_id}", tmp_path / "p3")
        assert "Detect Issues" in plain  # what the URL's view is there for: without it, GenAI

        errors = json.loads(Path(client.download_artifacts(run.info.run_id, "errors/gold_worst.json")).read_text())
        longest = max((row[0] for row in errors["data"]), key=len)
        markdown_page = render(
            f"{base}/#/experiments/{experiment.experiment_id}/runs/{run.info.run_id}/artifacts/errors/gold_worst.md",
            tmp_path / "p4",
        )
        assert html.escape(" ".join(longest.split()), quote=False) in markdown_page

        run_page = render(
            f"{base}/#/experiments/{experiment.experiment_id}/runs/{run.info.run_id}",
            tmp_path / "p1",
            tmp_path / "run.png",
        )
        assert "tiny model for the scoring tests" in run_page  # the description, not "No description"
        assert "tiny" in run_page
        assert (tmp_path / "run.png").stat().st_size > 10_000

        model_page = render(f"{base}/#/models/narrative-classifier", tmp_path / "p2")
        assert "narrative-classifier" in model_page and "candidate" in model_page
    finally:
        server.terminate()
        server.wait(timeout=30)
