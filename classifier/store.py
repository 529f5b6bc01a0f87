"""The project's MLflow names and store: the one place they are written.

The store is ``$MLFLOW_TRACKING_URI``, else ``sqlite:///<repo>/mlflow.db``. Nothing happens on import:
entry points call ``use_store()`` before they talk to MLflow.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URI = f"sqlite:///{REPO_ROOT / 'mlflow.db'}"
MODEL_NAME = "narrative-classifier"  # the registered model, the MLflow experiment and the package
EXPERIMENT = MODEL_NAME
CANDIDATE, CHAMPION = "candidate", "champion"
DEFAULT_MODEL_URI = f"models:/{MODEL_NAME}@{CHAMPION}"


def tracking_uri() -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_URI


def quiet_mlflow() -> None:
    """MLflow's telemetry off (it tries to reach a telemetry host), unless the caller set it."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


def use_store() -> str:
    """Point MLflow's tracking and registry at the project's store; returns its URI."""
    quiet_mlflow()
    import mlflow

    uri = tracking_uri()
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return uri
