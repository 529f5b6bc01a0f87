"""Where the project's MLflow store is: ``$MLFLOW_TRACKING_URI``, else ``sqlite:///<repo>/mlflow.db``."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URI = f"sqlite:///{REPO_ROOT / 'mlflow.db'}"


def tracking_uri() -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_URI
