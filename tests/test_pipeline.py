"""One end-to-end run: sample table -> train -> MLflow run -> registry -> promote -> load by alias -> predict."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from classifier.labels import LABELS, REPORTED_COLUMNS
from classifier.store import REPO_ROOT
from tests.conftest import sample_experiment, tracking_store

COLUMNS = [*LABELS, *REPORTED_COLUMNS]  # the sample experiment trains the *_reported outputs too


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A sample training table, a temporary sqlite store, and two trained versions in it."""
    from unittest import mock

    from training import languages, promote, train

    tmp = tmp_path_factory.mktemp("pipeline")
    experiment = sample_experiment(tmp, "smoke", "smoke test on the project's own sample")
    uri = f"sqlite:///{tmp / 'mlflow.db'}"
    # the sample's test split is too small to measure a language on: declare its languages supported
    with tracking_store(uri), mock.patch.multiple(languages, MIN_PARAGRAPHS=0, MIN_VOICED_MACRO_F1=0.0):
        assert train.main(["--exp", str(experiment)]) == 0
        assert promote.main(["--table", str(tmp / "build" / "paragraphs.parquet")]) == 0
        assert train.main(["--exp", str(experiment)]) == 0
        assert promote.main(["--table", str(tmp / "build" / "paragraphs.parquet")]) == 0
        yield {"tmp": tmp, "uri": uri}


def test_run_logs_metrics_images_card_and_errors(store):
    from mlflow import MlflowClient

    client = MlflowClient(store["uri"])
    experiment = client.get_experiment_by_name("narrative-classifier")
    run = client.search_runs([experiment.experiment_id], order_by=["start_time ASC"])[0]
    for label in LABELS:
        for metric in ("precision", "recall", "f1", "mcc", "pr_auc", "brier"):
            assert f"test/{label}/{metric}" in run.data.metrics
        assert f"test/sample/{label}/f1" in run.data.metrics
    assert run.data.params["model.kind"] == "tfidf_logreg"
    assert run.inputs.dataset_inputs and run.inputs.dataset_inputs[0].dataset.digest
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"model_card.md", "figures", "errors"} <= artifacts and "thresholds.json" not in artifacts
    figures = {Path(a.path).name for a in client.list_artifacts(run.info.run_id, "figures/test")}
    assert {f"pr_curve_{LABELS[0]}.png", f"calibration_{LABELS[0]}.png", f"confusion_{LABELS[0]}.png"} <= figures


def test_registry_versions_aliases_and_tags(store):
    from mlflow import MlflowClient

    client = MlflowClient(store["uri"])
    versions = client.search_model_versions("name='narrative-classifier'")
    assert len(versions) == 2
    candidate = client.get_model_version_by_alias("narrative-classifier", "candidate")
    champion = client.get_model_version_by_alias("narrative-classifier", "champion")
    assert str(candidate.version) == "2"
    assert str(champion.version) == "1"  # identical retraining does not beat the champion
    for key in ("model_kind", "experiment", "table_hash", "git_commit"):
        assert key in candidate.tags
    assert "thresholds" not in candidate.tags  # stored once, in the model's metadata
    import mlflow

    metadata = mlflow.models.get_model_info(f"models:/narrative-classifier/{candidate.version}").metadata
    assert set(metadata["thresholds"]) == set(COLUMNS) and metadata["columns"] == COLUMNS
    decision = json.loads(candidate.tags["promotion"])
    assert decision["against"] == "version 1" and decision["reason"]


def test_champion_loads_in_a_fresh_process_from_another_directory(store, tmp_path):
    script = textwrap.dedent(
        """
        import json, mlflow, pandas as pd
        model = mlflow.pyfunc.load_model("models:/narrative-classifier@champion")
        texts = [f"Paragraph number {i} about secret elites and foreign agents." for i in range(1000)]
        out = model.predict(pd.DataFrame({"text": texts}))
        print(json.dumps({"rows": len(out), "columns": list(out.columns)}))
        """
    )
    env = {**os.environ, "MLFLOW_TRACKING_URI": store["uri"], "PYTHONPATH": ""}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer == {"rows": 1000, "columns": COLUMNS}


def test_pyfunc_contract_on_a_batch(store):
    import mlflow

    mlflow.set_tracking_uri(store["uri"])
    model = mlflow.pyfunc.load_model("models:/narrative-classifier@candidate")
    texts = [
        "Secret elites planned the crisis.",
        None,
        "The council met.",
        "",
        "The West wants to destroy us.",
        "\ufffd\ufffd",
    ]
    frame = pd.DataFrame({"text": texts, "extra": range(len(texts))})
    out = model.predict(frame)
    assert list(out.columns) == COLUMNS
    assert len(out) == len(texts)
    assert out.iloc[1].isna().all() and out.drop(index=1).notna().all().all()
    one_by_one = [model.predict(pd.DataFrame({"text": [t]})).iloc[0].tolist() for t in texts if t is not None]
    assert np.allclose(out.drop(index=1).to_numpy(), np.array(one_by_one))
    with pytest.raises(Exception, match="text"):
        model.predict(pd.DataFrame({"body": ["x"]}))


def test_predict_cli_writes_one_record_per_article(store, tmp_path):
    articles = tmp_path / "in.jsonl"
    articles.write_text(
        "\n".join(
            [
                json.dumps(
                    {
                        "id": "a",
                        "title": "Who is behind it?",
                        "text": "Secret elites planned the crisis.\r\n\r\nThe council met.",
                    }
                ),
                json.dumps({"id": "b", "text": ""}),
                json.dumps({"id": "c", "text": 42}),
                "{not json",
                json.dumps({"text": "No id here."}),
            ]
        )
        + "\n"
    )
    output = tmp_path / "out.jsonl"
    env = {**os.environ, "MLFLOW_TRACKING_URI": store["uri"]}
    result = subprocess.run(
        [sys.executable, "-m", "scoring.predict", str(articles), "-o", str(output)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stderr[-2000:]  # some records failed
    records = [json.loads(line) for line in output.read_text().splitlines()]
    assert [r["id"] for r in records] == ["a", "b", "c", "in.jsonl:4", "in.jsonl:5"]
    assert [r["status"] for r in records] == ["ok", "empty", "error", "error", "ok"]
    first = records[0]
    assert set(first["scores"]) == set(first["flags"]) == set(COLUMNS) and "paragraphs" not in first
    assert "'text' must be a string" in records[2]["error"]
    assert first["model"].startswith("narrative-classifier/")
    assert "a: ok (" in result.stdout and "in.jsonl:4: error" in result.stdout


def test_article_scores_are_the_highest_paragraph_scores(store):
    from classifier.articles import Scorer, score_articles

    with tracking_store(store["uri"]):
        scorer = Scorer.from_mlflow("models:/narrative-classifier@champion")
    text = "Secret elites planned the crisis.\r\n\r\nThe council met."
    (record,) = score_articles([{"id": "a", "title": "Who is behind it?", "text": text}], scorer)
    assert [p["field"] for p in record["paragraphs"]] == ["title", "text", "text"]
    assert [text[p["start"] : p["end"]] for p in record["paragraphs"][1:]] == [
        "Secret elites planned the crisis.",
        "The council met.",
    ]
    for column in COLUMNS:
        assert record["scores"][column] == max(p["scores"][column] for p in record["paragraphs"])
