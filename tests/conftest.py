"""Shared fixtures: a tiny corpora directory in each source's format, written by the tests themselves."""

from __future__ import annotations

import contextlib
import csv
import json
import os
from pathlib import Path

import pytest

from classifier.store import REPO_ROOT, quiet_mlflow

quiet_mlflow()
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def wait_for_ping(server, base: str, log: Path, message: str, interval: float = 0.5, timeout: float = 120) -> None:
    """Wait until the server process ``server`` answers ``base``/ping with 200; fail with its log's tail
    if it exits, and with ``message`` after ``timeout`` seconds."""
    import time
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        assert server.poll() is None, log.read_text()[-3000:]
        try:
            with urllib.request.urlopen(f"{base}/ping", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        assert time.monotonic() < deadline, message
        time.sleep(interval)


@contextlib.contextmanager
def tracking_store(uri: str):
    """Point MLflow (through $MLFLOW_TRACKING_URI) at ``uri`` for the block; restore it afterwards."""
    previous = os.environ.get("MLFLOW_TRACKING_URI")
    os.environ["MLFLOW_TRACKING_URI"] = uri
    try:
        yield uri
    finally:
        if previous is None:
            os.environ.pop("MLFLOW_TRACKING_URI", None)
        else:
            os.environ["MLFLOW_TRACKING_URI"] = previous


REAL_CORPORA = REPO_ROOT.parent / "shared" / "data"


def write_tiny_corpora(root: Path) -> Path:
    """Two or three documents per corpus, in the release formats, with invented text."""
    en = root / "semeval2023_task3" / "data" / "en"
    (en / "train-articles-subtask-3").mkdir(parents=True)
    article = "Headline about a vote\n\nThe council voted on the budget.\n\nCritics said it was too small.\n"
    (en / "train-articles-subtask-3" / "article1001.txt").write_text(article)
    (en / "train-labels-subtask-3.template").write_text(
        "1001\t1\tHeadline about a vote\n1001\t3\tThe council voted on the budget.\n1001\t5\tCritics said it was too small.\n"
    )

    s25 = root / "semeval2025_task10" / "train_data" / "EN"
    (s25 / "raw-documents").mkdir(parents=True)
    (s25 / "raw-documents" / "EN_UA_1.txt").write_text(
        "The West wants war\n\nNATO planned this war for years to weaken Russia.\n\nPrices rose in March.\n"
    )
    (s25 / "raw-documents" / "EN_CC_2.txt").write_text(
        "Secret elites behind climate laws\n\nA hidden cabal of bankers wrote the climate law.\n"
    )
    (s25 / "raw-documents" / "EN_UA_3.txt").write_text("Weather report\n\nRain is expected on Monday.\n")
    (s25 / "subtask-2-annotations.txt").write_text(
        "EN_UA_1.txt\tURW: Blaming the war on others rather than the invader\tURW: Blaming the war on others rather than the invader: The West are the aggressors\n"
        "EN_CC_2.txt\tCC: Hidden plots by secret schemes of powerful groups\tCC: Hidden plots by secret schemes of powerful groups: Blaming global elites\n"
        "EN_UA_3.txt\tOther\tOther\n"
    )

    eu = root / "euvsdisinfo"
    eu.mkdir(parents=True)
    with (eu / "claim_titles.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["date", "id", "title", "countries", "keywords", "languages", "outlets"])
        writer.writerow(
            [
                "2019-01-01",
                "https://example.org/report/a/",
                "Soros funds a colour revolution",
                "US",
                "George Soros+Colour revolutions",
                "Russian",
                "X",
            ]
        )
        writer.writerow(
            [
                "2019-01-02",
                "https://example.org/report/b/",
                "Pensions will be cut next year",
                "RU",
                "Economy",
                "Russian",
                "Y",
            ]
        )
    with (eu / "case_summaries.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "issue",
                "date",
                "outlet",
                "language",
                "origin",
                "reported by",
                "keywords",
                "source",
                "title",
                "summary",
                "disproof",
            ]
        )
        disproof = "A recurring narrative that portrays protests as foreign-organised; no evidence was given for it in this case."
        writer.writerow(
            [
                "1",
                "01/01/19",
                "X",
                "Russian",
                "",
                "",
                "George Soros, Colour revolutions",
                "",
                "Soros funds a colour revolution",
                "Soros pays protesters to topple the government.",
                disproof,
            ]
        )
        writer.writerow(
            [
                "2",
                "01/01/19",
                "X",
                "Russian",
                "",
                "",
                "Colour revolutions",
                "",
                "Soros funds a colour revolution",
                "Another outlet repeated it.",
                "No evidence given.",
            ]
        )

    pan = root / "pan2024_oppositional"
    pan.mkdir(parents=True)
    messages = [
        {
            "id": "1",
            "text": "They planned the pandemic to control us all.",
            "category": "CONSPIRACY",
            "annotations": "[]",
        },
        {
            "id": "2",
            "text": "The health minister handled the crisis badly.",
            "category": "CRITICAL",
            "annotations": "[]",
        },
    ]
    (pan / "dataset_en_test_half.json").write_text(json.dumps(messages))
    return root


@pytest.fixture
def tiny_corpora(tmp_path: Path) -> Path:
    return write_tiny_corpora(tmp_path / "corpora")


def sample_experiment(tmp: Path, name: str, description: str = "", base: str | None = None) -> Path:
    """The project's sample table in ``tmp/build`` and ``tmp/<name>.yaml``: a small TF-IDF experiment on it
    that also trains the ``*_reported`` outputs (``data.reported: true``, as every project experiment);
    with ``base``, the project's ``experiments/<base>.yaml`` as it is, reading the sample table."""
    import textwrap

    import yaml

    from data import build

    assert build.main(["--sample", "--out", str(tmp / "build")]) == 0
    experiment = tmp / f"{name}.yaml"
    if base is not None:
        config = yaml.safe_load((REPO_ROOT / "experiments" / f"{base}.yaml").read_text())
        config.setdefault("data", {})["table"] = str(tmp / "build" / "paragraphs.parquet")
        experiment.write_text(yaml.safe_dump(config, sort_keys=False))
        return experiment
    experiment.write_text(
        textwrap.dedent(
            f"""
            description: {description}
            model:
              kind: tfidf_logreg
              params: {{min_df: 1, max_features: 5000}}
            data:
              table: {tmp / "build" / "paragraphs.parquet"}
              reported: true
            """
        )
    )
    return experiment


@pytest.fixture(scope="session")
def tiny_model_store(tmp_path_factory) -> dict:
    """A temporary sqlite MLflow store with one tiny TF-IDF model trained on the project's own sample.

    Returns the store's URI and the model's URI (version 1); the environment is left as it was.
    """
    from unittest import mock

    from training import languages, train

    tmp = tmp_path_factory.mktemp("tiny_model")
    experiment = sample_experiment(tmp, "tiny", "tiny model for the scoring tests")
    uri = f"sqlite:///{tmp / 'mlflow.db'}"
    # The sample's test split is far too small to measure a language on: the tiny model declares every
    # language of it supported, so that the scoring tests see ordinary records (tests/test_languages.py
    # covers the declaration itself).
    with tracking_store(uri), mock.patch.multiple(languages, MIN_PARAGRAPHS=0, MIN_VOICED_MACRO_F1=0.0):
        assert train.main(["--exp", str(experiment)]) == 0
    return {"tmp": tmp, "uri": uri, "model": "models:/narrative-classifier/1"}
