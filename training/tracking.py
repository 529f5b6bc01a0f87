"""MLflow set-up: the tracking store, the experiment, logging the model and registering it.

Default store: ``sqlite:///<repo>/mlflow.db`` with artifacts in ``<repo>/mlartifacts``;
``MLFLOW_TRACKING_URI`` overrides it (artifacts then go where that store says).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from classifier.models.registry import FOLDER_KINDS
from classifier.store import CANDIDATE, CHAMPION, EXPERIMENT, REPO_ROOT, quiet_mlflow, tracking_uri, use_store
from classifier.store import MODEL_NAME as REGISTERED_MODEL

__all__ = [
    "CANDIDATE",
    "CHAMPION",
    "EXPERIMENT",
    "REGISTERED_MODEL",
    "configure",
    "git_commit",
    "log_metrics",
    "register",
    "tracking_uri",
    "ui_url",
]

# MLflow's own record of what the experiment is (model development, not a GenAI app). The UI of MLflow
# 3.17.2 does not read it to choose its mode: the browser does (see ``ui_url``).
EXPERIMENT_KIND_TAG = ("mlflow.experimentKind", "custom_model_development")
METRIC_DIGITS = 4  # logged metric values are rounded to this many digits
PIP_REQUIREMENTS_FILE = REPO_ROOT / "requirements-model.txt"


def configure(experiment: str = EXPERIMENT) -> str:
    """Point MLflow at the store and make sure the experiment exists; returns its id."""
    uri = use_store()
    import mlflow
    from mlflow import MlflowClient

    client = MlflowClient()
    found = client.get_experiment_by_name(experiment)
    if found is not None:
        if found.tags.get(EXPERIMENT_KIND_TAG[0]) != EXPERIMENT_KIND_TAG[1]:  # a store made before the tag
            client.set_experiment_tag(found.experiment_id, *EXPERIMENT_KIND_TAG)
        mlflow.set_experiment(experiment_id=found.experiment_id)
        return found.experiment_id
    artifacts = None
    if uri.startswith("sqlite:///"):
        artifacts = (Path(uri.removeprefix("sqlite:///")).parent / "mlartifacts").resolve().as_uri()
    experiment_id = client.create_experiment(experiment, artifact_location=artifacts, tags=dict([EXPERIMENT_KIND_TAG]))
    mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id


def rounded(metrics: dict[str, float]) -> dict[str, float]:
    """Metric values rounded to ``METRIC_DIGITS`` digits, as they are logged."""
    return {key: round(float(value), METRIC_DIGITS) for key, value in metrics.items()}


def log_metrics(metrics: dict[str, float], step: int | None = None) -> None:
    """Log metrics to the active run, rounded to ``METRIC_DIGITS`` digits (the MLflow UI lists them unrounded)."""
    import mlflow

    mlflow.log_metrics(rounded(metrics), step=step)


def ui_url(port: int = 5000, uri: str | None = None) -> str:
    """The MLflow UI's page of the project's training runs, in the UI's model-training view.

    The UI of MLflow 3.17.2 chooses between its GenAI and model-training views in the browser, for every
    experiment alike: the URL's ``workflowType``, else the choice last made with its switch (kept in the
    browser's local storage), else GenAI. No tag, server option or environment variable sets it, so the
    URL carries it. Falls back to the list of experiments while the store holds no experiment of ours.
    """
    quiet_mlflow()
    base = f"http://127.0.0.1:{port}/#/experiments"
    view = "?workflowType=machine_learning"
    try:
        from mlflow import MlflowClient

        found = MlflowClient(uri or tracking_uri()).get_experiment_by_name(EXPERIMENT)
    except Exception:  # noqa: BLE001 - a store that cannot be read still gets the UI's front page
        found = None
    if found is None:
        return base + view
    return f"{base}/{found.experiment_id}/runs{view}"


def git_commit() -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO_ROOT, capture_output=True, text=True
        ).stdout.strip()
        return commit + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


TRANSFORMER_REQUIREMENTS_FILE = REPO_ROOT / "requirements-transformer.txt"
MULTILINGUAL_REQUIREMENTS_FILE = REPO_ROOT / "requirements-multilingual.txt"


def model_requirements(kind: str = "tfidf_logreg") -> list[str]:
    """What a logged model of ``kind`` needs to load: requirements-model.txt, plus
    requirements-transformer.txt (torch, transformers) for the kinds saved with Hugging Face weights,
    plus requirements-multilingual.txt for the kinds that embed with the multilingual encoder (an
    ensemble may hold any kind, so it takes both)."""
    files = [PIP_REQUIREMENTS_FILE]
    if kind in FOLDER_KINDS:
        files.append(TRANSFORMER_REQUIREMENTS_FILE)
    if kind in ("multilingual_logreg", "ensemble"):
        files.append(MULTILINGUAL_REQUIREMENTS_FILE)
    return [
        line.strip()
        for path in files
        for line in path.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]


def register(run_id: str, model_uri: str, tags: dict[str, str]) -> str:
    """Register the run's model, tag the version and give it the ``candidate`` alias; returns the version."""
    import mlflow
    from mlflow import MlflowClient

    client = MlflowClient()
    try:
        client.get_registered_model(REGISTERED_MODEL)
    except mlflow.exceptions.MlflowException:
        client.create_registered_model(
            REGISTERED_MODEL,
            description="Per-paragraph probabilities of voicing conspiracy framing and anti-foreign rhetoric.",
        )
    version = client.create_model_version(REGISTERED_MODEL, model_uri, run_id=run_id, tags=tags)
    client.set_registered_model_alias(REGISTERED_MODEL, CANDIDATE, version.version)
    return version.version
