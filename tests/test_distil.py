"""The distilled student: the static_linear kind (soft targets, save/load), the static model built by
model2vec from a local encoder, and `training.distil` end to end on the sample table with a TF-IDF
teacher in a temporary store: registered with role=dump-scorer, scoring articles."""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pytest

from classifier.articles import Scorer, score_articles
from classifier.models.registry import load_estimator, save_estimator
from classifier.models.static import StaticLinear, soft_logistic
from tests.conftest import sample_experiment, tracking_store
from tests.test_transformer import TEXTS, Y, tiny_model  # noqa: F401 - the tiny BERT fixture
from training import distil, train


@pytest.fixture(scope="module")
def static_model(tiny_model, tmp_path_factory):  # noqa: F811
    return distil.build_static(tiny_model, tmp_path_factory.mktemp("static") / "tiny", pca_dims=8)


def test_soft_logistic_recovers_probabilities_it_was_fitted_on():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 3))
    truth = 1 / (1 + np.exp(-(X @ np.array([2.0, -1.0, 0.0]) + 0.5)))
    coef, bias = soft_logistic(X, truth, np.ones(400), alpha=0.0, max_iter=500)
    assert np.allclose(coef, [2.0, -1.0, 0.0], atol=0.05) and abs(bias - 0.5) < 0.05


def test_static_linear_fits_soft_targets_and_saves_and_loads(static_model, tmp_path):
    soft = np.where(np.isnan(Y), np.nan, 0.1 + 0.8 * np.nan_to_num(Y))
    model = StaticLinear(targets=("a", "b"), embedding_path=str(static_model), tfidf_features=50).fit(TEXTS, soft)
    probs = model.predict_proba(TEXTS)
    assert probs.shape == (len(TEXTS), 2) and np.all((probs > 0) & (probs < 1))
    assert model.predict_proba([]).shape == (0, 2)
    save_estimator(model, "static_linear", tmp_path / "model")
    loaded = load_estimator("static_linear", tmp_path / "model")
    assert np.allclose(loaded.predict_proba(TEXTS), probs)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        StaticLinear(embedding_path=str(static_model)).fit(TEXTS, np.full((len(TEXTS), 2), 2.0))


def test_distil_trains_a_student_on_the_teachers_probabilities_and_tags_it(static_model, tmp_path, capsys):
    experiment = sample_experiment(tmp_path, "teacher", "the teacher")
    student = tmp_path / "student.yaml"
    student.write_text(
        textwrap.dedent(
            f"""
            description: the student
            model:
              kind: static_linear
              params: {{embedding_path: {static_model}, tfidf_features: 2000}}
            data:
              table: {tmp_path / "build" / "paragraphs.parquet"}
              reported: true
            """
        )
    )
    with tracking_store(f"sqlite:///{tmp_path / 'mlflow.db'}"):
        assert train.main(["--exp", str(experiment)]) == 0
        from mlflow import MlflowClient

        MlflowClient().set_registered_model_alias("narrative-classifier", "champion", "1")
        teacher = "models:/narrative-classifier@champion"
        assert train.main(["--exp", str(student), "--teacher", teacher]) == 0

        version = MlflowClient().get_model_version("narrative-classifier", "2")
        assert version.tags["role"] == "dump-scorer"
        assert version.tags["teacher"] == "models:/narrative-classifier/1"  # the alias, pinned to its version
        assert version.tags["model_kind"] == "static_linear"
        run = MlflowClient().get_run(version.run_id)
        assert run.data.params["teacher"] == teacher and "gold/macro_f1" in run.data.metrics
        from training import promote

        capsys.readouterr()
        assert promote.main(["--table", str(tmp_path / "build" / "paragraphs.parquet")]) == 0
        assert "Version 2 is a dump-scorer" in capsys.readouterr().out
        champion = MlflowClient().get_model_version_by_alias("narrative-classifier", "champion")
        assert str(champion.version) == "1"  # a dump-scorer is not compared for champion
        scorer = Scorer.from_mlflow("models:/narrative-classifier/2")
        records = score_articles([{"id": "a", "text": "Secret elites planned it.\n\nRain on Monday."}], scorer)
        assert records[0]["status"] == "ok" and len(records[0]["paragraphs"]) == 2
    json.dumps(records[0])


def test_the_pool_leaves_out_dev_and_test_paragraphs(tmp_path):
    import pandas as pd

    from training.dataset import Splits

    corpora = tmp_path / "c" / "semeval2023_task3" / "data" / "en" / "train-articles-subtask-3"
    corpora.mkdir(parents=True)
    (corpora / "a.txt").write_text("Title\n\nA train line.\n\nA dev line.\n\nA test line.\n\nA new line.\n")
    frame = lambda texts: pd.DataFrame({"text": texts})  # noqa: E731
    splits = Splits(frame(["A train line."]), frame(["A dev line."]), frame(["A test line."]), tmp_path, "h", ("x",))
    assert distil.pool_texts(splits, tmp_path / "c") == ["A train line.", "Title", "A new line."]


def test_read_labels_are_mixed_into_the_training_rows_only():
    soft = np.array([[0.2, 0.6], [0.4, 0.4], [0.9, 0.1]])  # two training rows, then one other pool row
    read = np.array([[1.0, np.nan], [0.0, 0.0]])
    mixed = distil.mix_read_labels(soft, read, 0.5)
    assert np.allclose(mixed, [[0.6, 0.6], [0.2, 0.2], [0.9, 0.1]])  # unknown labels keep the teacher's
    assert distil.mix_read_labels(soft, read, 0.0) is soft
    assert np.allclose(soft, [[0.2, 0.6], [0.4, 0.4], [0.9, 0.1]])  # the teacher's probabilities untouched
