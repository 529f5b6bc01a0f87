"""Ensemble members: model URIs resolved and loaded before the ensemble estimator is built.

A member is any MLflow model URI (``models:/narrative-classifier/1``, ``runs:/<id>/model``) or
``experiment:<name>``: the model of the newest finished run of the project experiment ``<name>``
(``experiments/<name>.yaml``) in the current tracking store.
"""

from __future__ import annotations

from classifier.store import EXPERIMENT

EXPERIMENT_PREFIX = "experiment:"


def resolve_member(uri: str) -> str:
    """A loadable model URI for ``uri``: ``experiment:<name>`` becomes ``runs:/<id>/model`` of the
    newest finished run tagged ``experiment=<name>``; other URIs are returned as they are."""
    if not uri.startswith(EXPERIMENT_PREFIX):
        return uri
    from mlflow import MlflowClient

    name = uri.removeprefix(EXPERIMENT_PREFIX)
    client = MlflowClient()
    experiment = client.get_experiment_by_name(EXPERIMENT)
    runs = []
    if experiment is not None:
        runs = client.search_runs(
            [experiment.experiment_id],
            filter_string=f"tags.experiment = '{name}' and attributes.status = 'FINISHED'",
            order_by=["attributes.start_time DESC"],
            max_results=1,
        )
    if not runs:
        raise ValueError(
            f"ensemble member {uri}: no finished run of experiment {name!r} in this store; train it first (make train EXP={name})"
        )
    return f"runs:/{runs[0].info.run_id}/model"


def load_members(uris) -> list[tuple[str, object]]:
    """``(resolved URI, estimator)`` per member: the logged model's own (calibrated) estimator."""
    import mlflow

    members = []
    for uri in uris:
        resolved = resolve_member(uri)
        members.append((resolved, mlflow.pyfunc.load_model(resolved).unwrap_python_model().estimator))
    return members
