"""Transformer kinds on a tiny randomly initialised BERT built here (no weights, no download): the
training loop, windows over long paragraphs, batch order, save/load, and one run through
training/train.py into a temporary MLflow store, loaded back through the pyfunc."""

from __future__ import annotations

import json
import logging
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from sklearn.base import clone  # noqa: E402

from classifier.calibration import Calibrated  # noqa: E402
from classifier.labels import LABELS  # noqa: E402
from classifier.models.embeddings import EmbeddingLogReg  # noqa: E402
from classifier.models.registry import load_estimator  # noqa: E402
from classifier.models.transformer import TransformerClassifier, padded, windows  # noqa: E402
from tests.conftest import tracking_store  # noqa: E402

torch.set_num_threads(1)

TEXTS = [
    "secret elites planned the crisis",
    "the deep state orchestrated it",
    "bankers plot in secret",
    "the council met on monday",
    "rain is expected tomorrow",
    "prices rose in march",
    "a hidden cabal runs the world",
    "the school reopened",
    "the west wants to destroy us",
    "the match ended in a draw",
] * 2
Y = np.array([[1, 0], [1, 0], [1, 0], [0, 0], [0, 0], [0, 0], [1, 0], [0, 0], [0, 1], [0, 0]] * 2, dtype=float)
WORDS = sorted(
    {w for t in TEXTS for w in t.split()}
    | {
        "paragraph",
        "number",
        "about",
        "foreign",
        "agents",
        "and",
        "who",
        "is",
        "behind",
        "it",
        "no",
        "here",
        "council",
        "met",
        ".",
    }
)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> str:
    """A 1-layer, 16-wide BERT with a word-level vocabulary, saved like a Hugging Face folder."""
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    folder = tmp_path_factory.mktemp("tiny_bert")
    vocab = folder / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]) + "\n")
    tokenizer = BertTokenizerFast(vocab_file=str(vocab), do_lower_case=True)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        num_labels=2,
    )
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


def small(tiny_model, **params):
    defaults = dict(
        model_path=tiny_model,
        max_length=16,
        stride=4,
        batch_size=4,
        eval_batch_size=3,
        epochs=2,
        threads=1,
        runtime="torch",  # exact save/load round trips; the other runtimes are tested below
    )
    return TransformerClassifier(**{**defaults, **params})


@pytest.fixture(scope="module")
def fitted(tiny_model):
    return small(tiny_model, learning_rate=1.0e-3).fit(TEXTS, Y, dev=(TEXTS, Y))


def test_sklearn_contract(tiny_model):
    model = small(tiny_model, epochs=3)
    assert model.get_params()["epochs"] == 3
    assert not hasattr(model, "model_")  # __init__ stores parameters only
    assert clone(model).get_params() == model.get_params()
    assert TransformerClassifier.uses_dev


def test_training_steps_early_stopping_and_probabilities(fitted):
    assert fitted.steps_ == 10 and len(fitted.history_) == 2  # 20 rows / 4 per batch x 2 epochs, evaluated per epoch
    probs = fitted.predict_proba(TEXTS)
    assert probs.shape == (len(TEXTS), 2) and ((0 <= probs) & (probs <= 1)).all()


def test_unknown_targets_are_masked_and_training_is_seeded(tiny_model):
    y = Y.copy()
    y[:5, 1] = np.nan
    a = small(tiny_model, max_steps=3).fit(TEXTS, y)
    b = small(tiny_model, max_steps=3).fit(TEXTS, y)
    assert np.isfinite(a.history_[-1]["loss"])
    assert np.allclose(a.predict_proba(TEXTS[:4]), b.predict_proba(TEXTS[:4]))
    with pytest.raises(ValueError):
        small(tiny_model).fit(TEXTS, np.full((len(TEXTS), 2), 2.0))


def test_row_cap_keeps_every_positive(tiny_model):
    model = small(tiny_model, max_train_rows=8, max_steps=1).fit(TEXTS, Y)
    assert model.train_rows_ == 8  # 8 of the 20 rows; all 10 positives would not fit, so 8 positives


def test_batch_order_is_kept(fitted):
    order = np.random.RandomState(1).permutation(len(TEXTS))
    shuffled = [TEXTS[i] for i in order]
    assert np.allclose(fitted.predict_proba(shuffled), fitted.predict_proba(TEXTS)[order])
    one_by_one = np.vstack([fitted.predict_proba([t]) for t in TEXTS[:5]])
    assert np.allclose(one_by_one, fitted.predict_proba(TEXTS[:5]), atol=1e-6)


def test_long_paragraphs_are_scored_in_windows_max_over_windows(fitted):
    long_text = " ".join(["the council met on monday"] * 6 + ["secret elites planned the crisis"] * 2)
    ids, owner = windows(fitted.tokenizer_, [long_text, "rain"], fitted.max_length, fitted.stride)
    n_windows = int((owner == 0).sum())
    assert n_windows > 2 and len(ids[0]) == fitted.max_length
    with torch.inference_mode():
        per_window = [
            torch.sigmoid(
                fitted.model_(
                    input_ids=torch.tensor([w]), attention_mask=torch.ones((1, len(w)), dtype=torch.long)
                ).logits
            )[0].numpy()
            for w, o in zip(ids, owner)
            if o == 0
        ]
    assert np.allclose(fitted.predict_proba([long_text, "rain"])[0], np.max(per_window, axis=0), atol=1e-5)


def test_calibrated_transformer_saves_and_loads(fitted, tmp_path):
    calibrated = Calibrated(fitted).fit(TEXTS, Y)
    calibrated.save(tmp_path / "model")
    assert (tmp_path / "model" / "estimator" / "hf" / "model.safetensors").exists()
    assert not list((tmp_path / "model").rglob("*.pkl")) and not list((tmp_path / "model").rglob("*.bin"))
    loaded = load_estimator("transformer", tmp_path / "model")
    assert isinstance(loaded, Calibrated) and tuple(loaded.targets) == tuple(fitted.targets)
    assert np.allclose(loaded.predict_proba(TEXTS), calibrated.predict_proba(TEXTS), atol=1e-6)


def test_embedding_logreg_fits_saves_and_loads(tiny_model, tmp_path):
    model = EmbeddingLogReg(model_path=tiny_model, max_length=16, stride=4, batch_size=3, threads=1).fit(TEXTS, Y)
    probs = model.predict_proba(TEXTS)
    assert probs.shape == (len(TEXTS), 2)
    order = np.random.RandomState(2).permutation(len(TEXTS))
    assert np.allclose(model.predict_proba([TEXTS[i] for i in order]), probs[order])
    Calibrated(model).fit(TEXTS, Y).save(tmp_path / "model")
    loaded = load_estimator("embedding_logreg", tmp_path / "model")
    assert np.allclose(loaded.estimator.predict_proba(TEXTS), probs, atol=1e-6)


def test_train_py_logs_registers_and_serves_a_transformer(tiny_model, tmp_path):
    """Sample table -> training/train.py with kind transformer -> temporary store -> pyfunc by alias."""
    import mlflow
    from mlflow import MlflowClient

    from data import build
    from training import train

    assert build.main(["--sample", "--out", str(tmp_path / "build")]) == 0
    experiment = tmp_path / "tiny_transformer.yaml"
    experiment.write_text(
        textwrap.dedent(
            f"""
            description: tiny random BERT through training/train.py
            model:
              kind: transformer
              params: {{model_path: {tiny_model}, max_length: 16, stride: 4, batch_size: 8, epochs: 1, max_steps: 3, threads: 1}}
            data:
              table: {tmp_path / "build" / "paragraphs.parquet"}
            """
        )
    )
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    with tracking_store(uri):
        assert train.main(["--exp", str(experiment)]) == 0

    client = MlflowClient(uri)
    run = client.search_runs([client.get_experiment_by_name("narrative-classifier").experiment_id])[0]
    assert run.data.params["model.kind"] == "transformer"
    assert run.data.tags["scoring_runtime"] == "onnx-int8"  # the runtime behind its test figures and of the model
    assert "train_seconds" in run.data.metrics and "test/paragraphs_per_second" in run.data.metrics
    assert f"test/{LABELS[0]}/f1" in run.data.metrics
    assert [m.step for m in client.get_metric_history(run.info.run_id, "train/dev_map")] == [
        3
    ]  # the evaluation at the last step
    assert {"model_card.md", "figures", "errors"} <= {a.path for a in client.list_artifacts(run.info.run_id)}

    mlflow.set_tracking_uri(uri)
    local = Path(
        mlflow.artifacts.download_artifacts(artifact_uri="models:/narrative-classifier@candidate", tracking_uri=uri)
    )
    requirements = (local / "requirements.txt").read_text().split()
    assert "torch==2.13.0" in requirements and "transformers==5.24.0" in requirements
    assert not list(local.rglob("*.pkl"))
    model = mlflow.pyfunc.load_model("models:/narrative-classifier@candidate")
    texts = ["Secret elites planned the crisis.", None, "The council met.", "", "Who is behind it? " * 40]
    out = model.predict(pd.DataFrame({"text": texts}))
    assert list(out.columns) == list(LABELS) and len(out) == len(texts)
    assert out.iloc[1].isna().all() and out.drop(index=1).notna().all().all()
    one_by_one = [model.predict(pd.DataFrame({"text": [t]})).iloc[0].tolist() for t in texts if t is not None]
    assert np.allclose(out.drop(index=1).to_numpy(), np.array(one_by_one), atol=1e-6)
    meta = json.loads((local / "artifacts" / "meta.json").read_text())
    assert meta["kind"] == "transformer"

    from training import compare

    with tracking_store(uri):
        header, rows = compare.table(
            compare.finished_runs(MlflowClient(uri), [], latest=True), compare.versions_by_run(MlflowClient(uri)), "f1"
        )
    table = {row[0]: row[1:] for row in rows}
    assert (
        len(header) == 2
        and table["model kind"] == ["transformer"]
        and table["registered version"] == ["v1 (candidate)"]
    )
    assert f"gold/{LABELS[0]}/f1" in table and "test/paragraphs_per_second" in table


def test_ensemble_averages_members_and_saves_each_in_its_own_format(fitted, tmp_path):
    from classifier.models.ensemble import Ensemble
    from classifier.models.tfidf import TfidfLogReg

    backwards = tuple(reversed(LABELS))  # a member's columns are matched by name
    tfidf = Calibrated(TfidfLogReg(targets=backwards, min_df=1, max_features=500).fit(TEXTS, Y[:, ::-1])).fit(
        TEXTS, Y[:, ::-1]
    )
    ensemble = Ensemble(targets=tuple(LABELS), members=(("models:/a/1", tfidf), ("models:/a/2", fitted))).fit()
    assert clone(ensemble).get_params()["weights"] == ()  # parameters only: clone works and rewrites nothing
    expected = (tfidf.predict_proba(TEXTS)[:, ::-1] + fitted.predict_proba(TEXTS)) / 2
    assert np.allclose(ensemble.predict_proba(TEXTS), expected)
    Calibrated(ensemble).fit(TEXTS, Y).save(tmp_path / "model")
    assert (tmp_path / "model" / "estimator" / "members" / "0.skops").exists()
    loaded = load_estimator("ensemble", tmp_path / "model")
    assert np.allclose(loaded.estimator.predict_proba(TEXTS), expected, atol=1e-6)


def test_ensemble_averages_each_target_over_the_members_that_output_it(fitted):
    from classifier.labels import REPORTED_COLUMNS
    from classifier.models.ensemble import Ensemble
    from classifier.models.tfidf import TfidfLogReg

    targets = (*LABELS, *REPORTED_COLUMNS)
    Y4 = np.column_stack([Y, Y[:, ::-1]])
    four = TfidfLogReg(targets=targets, min_df=1, max_features=500).fit(TEXTS, Y4)
    ensemble = Ensemble(targets=targets, members=(("models:/a/1", four), ("models:/a/2", fitted))).fit()
    got, four_probs = ensemble.predict_proba(TEXTS), four.predict_proba(TEXTS)
    assert np.allclose(got[:, :2], (four_probs[:, :2] + fitted.predict_proba(TEXTS)) / 2)
    assert np.allclose(got[:, 2:], four_probs[:, 2:])  # only the four-column member has *_reported
    with pytest.raises(ValueError, match="no member"):
        Ensemble(targets=targets, members=(("models:/a/2", fitted),)).fit()
    with pytest.raises(ValueError, match="pairs"):
        Ensemble(members=("experiment:baseline",)).fit()


def test_ensemble_weights_chosen_on_dev_per_target(fitted):
    from classifier.models import ensemble as ensemble_module
    from classifier.models.ensemble import Ensemble, simplex_grid

    assert len(simplex_grid(2, 0.1)) == 11 and len(simplex_grid(3, 0.5)) == 6
    assert all(np.isclose(w.sum(), 1.0) for w in simplex_grid(3, 0.1))

    class Fixed:
        """A member whose probabilities are given per text."""

        targets = tuple(LABELS)

        def __init__(self, table):
            self.table = table

        def predict_proba(self, texts):
            return np.array([self.table[t] for t in texts])

    texts = ["a", "b", "c", "d"]
    y = np.array([[1, 1], [1, 0], [0, 1], [0, 0]], dtype=float)
    # Member 0 ranks label 0 perfectly and label 1 backwards; member 1 the other way round.
    good0 = Fixed({"a": [0.9, 0.1], "b": [0.8, 0.9], "c": [0.2, 0.2], "d": [0.1, 0.8]})
    good1 = Fixed({"a": [0.1, 0.9], "b": [0.2, 0.1], "c": [0.9, 0.8], "d": [0.8, 0.2]})

    model = Ensemble(targets=tuple(LABELS), members=(("a", good0), ("b", good1)), weights="dev").fit(dev=(texts, y))
    # F1 1.0 needs at least 0.6 on the member that ranks the label right; ties go to the most even weights.
    assert np.allclose(model.weights_, [[0.6, 0.4], [0.4, 0.6]])
    expected = np.column_stack(
        [
            good0.predict_proba(texts) @ [0.6, 0.0] + good1.predict_proba(texts) @ [0.4, 0.0],
            good0.predict_proba(texts) @ [0.0, 0.4] + good1.predict_proba(texts) @ [0.0, 0.6],
        ]
    )
    assert np.allclose(model.predict_proba(texts), expected)
    with pytest.raises(ValueError, match="dev split"):
        Ensemble(members=(("a", good0),), weights="dev").fit()
    assert ensemble_module.best_f1(np.array([0, 0]), np.array([0.1, 0.2])) == 0.0


def test_fit_logs_progress_with_rows_per_second_eta_and_dev_score(tiny_model, caplog):
    caplog.set_level(logging.INFO, logger="classifier.models.transformer")
    small(tiny_model, progress_every=0.0, max_steps=4, eval_every=2).fit(TEXTS, Y, dev=(TEXTS, Y))
    lines = [r for r in caplog.records if hasattr(r, "progress")]
    assert [r.progress["step"] for r in lines][:2] == [1, 2]
    assert all(r.progress["rows_per_second"] > 0 and r.progress["total_steps"] == 4 for r in lines)
    assert "dev_map" not in lines[0].progress and "dev_map" in lines[-1].progress


@pytest.mark.parametrize("runtime", ["torch-int8", "onnx", "onnx-int8"])
def test_runtimes_score_the_same_weights_close_to_torch(fitted, runtime, tmp_path):
    model = clone(fitted).set_params(runtime=runtime)
    model.tokenizer_, model.model_ = fitted.tokenizer_, fitted.model_
    for key in ("pos_weight_", "history_", "best_dev_map_", "steps_", "train_rows_"):
        setattr(model, key, getattr(fitted, key))
    reference = fitted.predict_proba(TEXTS)
    model.save(tmp_path / "model")
    graphs = sorted(p.name for p in (tmp_path / "model").rglob("*.onnx"))
    assert graphs == {"torch-int8": [], "onnx": ["model.onnx"], "onnx-int8": ["model-int8.onnx", "model.onnx"]}[runtime]
    loaded = TransformerClassifier.load(tmp_path / "model")
    assert loaded.runtime == runtime and loaded.forward_ is not None
    assert np.allclose(loaded.predict_proba(TEXTS), reference, atol=2e-3)


def test_a_folder_without_its_graph_scores_with_torch(fitted, tmp_path):
    fitted.save(tmp_path / "model")
    params = json.loads((tmp_path / "model" / "transformer.json").read_text())
    params["params"]["runtime"] = "onnx"
    (tmp_path / "model" / "transformer.json").write_text(json.dumps(params))
    loaded = TransformerClassifier.load(tmp_path / "model")
    assert loaded.runtime == "torch"
    assert np.allclose(loaded.predict_proba(TEXTS), fitted.predict_proba(TEXTS), atol=1e-6)


def test_an_unknown_runtime_is_refused(tiny_model):
    with pytest.raises(ValueError, match="runtime must be one of"):
        small(tiny_model, runtime="tensorrt").fit(TEXTS, Y)


def test_an_onnx_model_scores_in_forked_workers_like_in_one_process(fitted, tmp_path):
    """ONNX Runtime sessions do not survive a fork: each worker makes its own, none hangs."""
    import io

    from classifier.articles import Scorer
    from scoring import local

    model = clone(fitted).set_params(runtime="onnx-int8")
    model.tokenizer_, model.model_ = fitted.tokenizer_, fitted.model_
    model.use_runtime("onnx-int8", tmp_path / "graph")

    def predict(frame):
        return pd.DataFrame(model.predict_proba(frame["text"].tolist()), columns=list(fitted.targets))

    model.predict_proba(TEXTS)  # a session in this process before the fork
    scorer = Scorer(predict, list(fitted.targets), {t: 0.5 for t in fitted.targets}, "onnx")
    dump = tmp_path / "dump.jsonl"
    dump.write_text("".join(json.dumps({"id": n, "text": TEXTS[n % len(TEXTS)]}) + "\n" for n in range(30)))
    local.run([dump], tmp_path / "one.jsonl", scorer, batch_size=4, log=io.StringIO())
    local.run([dump], tmp_path / "two.jsonl", scorer, batch_size=4, log=io.StringIO(), workers=2)
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "two.jsonl").read_bytes()


def test_fit_switches_to_its_runtime_and_saves_the_graph_that_scored(tiny_model, tmp_path):
    """What training evaluates after ``fit`` (calibration, thresholds, test metrics) is what the saved
    model scores: the int8 graph, not the PyTorch model."""
    model = small(tiny_model, runtime="onnx-int8", max_steps=2).fit(TEXTS, Y)
    assert model.forward_ is not None and model.runtime == "onnx-int8"
    probs = model.predict_proba(TEXTS)
    model.save(tmp_path / "model")
    assert sorted(p.name for p in (tmp_path / "model" / "onnx").iterdir()) == ["model-int8.onnx", "model.onnx"]
    loaded = TransformerClassifier.load(tmp_path / "model")
    assert loaded.runtime == "onnx-int8"
    assert np.allclose(loaded.predict_proba(TEXTS), probs, rtol=0, atol=1e-7)
    model.forward_ = None  # the PyTorch model on the same weights: int8 moves the probabilities a little
    assert not np.allclose(model.predict_proba(TEXTS), probs, rtol=0, atol=1e-7)


def test_a_second_fit_scores_its_dev_split_with_the_new_weights(tiny_model):
    model = small(tiny_model, runtime="onnx", max_steps=1).fit(TEXTS, Y)
    first = model.predict_proba(TEXTS)
    model.set_params(learning_rate=1.0e-2, max_steps=4).fit(TEXTS, Y, dev=(TEXTS, Y))
    assert model.forward_ is not None and not np.allclose(model.predict_proba(TEXTS), first, atol=1e-4)
    model.forward_ = None
    torch_probs = model.predict_proba(TEXTS)
    model.use_runtime("onnx")
    assert np.allclose(model.predict_proba(TEXTS), torch_probs, atol=1e-4)


@pytest.mark.parametrize("runtime", ["onnx", "onnx-int8"])
def test_onnx_runtimes_keep_order_padding_and_windows(fitted, runtime, tmp_path):
    """Length-sorted, padded batches give each text what it gets alone (unpadded), in the input order,
    and a long paragraph the maximum over its windows; the fp32 graph matches PyTorch closely."""
    model = clone(fitted).set_params(runtime=runtime, eval_batch_size=8)
    model.tokenizer_, model.model_ = fitted.tokenizer_, fitted.model_
    model.use_runtime(runtime, tmp_path / "graph")
    long_text = " ".join(["the council met on monday"] * 6 + ["secret elites planned the crisis"] * 2)
    texts = [long_text, *TEXTS, "who is behind it", long_text + " no"]
    order = np.random.RandomState(3).permutation(len(texts))
    batched = model.predict_proba([texts[i] for i in order])
    one_by_one = np.vstack([model.predict_proba([t]) for t in texts])
    ids, _ = windows(fitted.tokenizer_, [long_text], fitted.max_length, fitted.stride)
    assert len(ids) > 2  # the long text has several windows
    per_window = np.vstack([model.forward_(*padded([w], 0)) for w in ids])
    assert np.allclose(one_by_one[0], per_window.max(axis=0), atol=1e-6)
    tolerance = 1e-5 if runtime == "onnx" else 2e-3  # int8 activations are quantised per batch
    assert np.allclose(batched, one_by_one[order], atol=tolerance)
    if runtime == "onnx":
        assert np.allclose(batched, fitted.predict_proba([texts[i] for i in order]), atol=1e-5)


def test_batches_scored_side_by_side_give_what_one_at_a_time_gives(fitted):
    """A forward with ``parallel`` gets small batches from several threads; rows come back in order."""
    import threading
    import time

    from classifier.models.transformer import score_windows

    seen: list[tuple[int, int]] = []

    def forward(input_ids, mask):
        seen.append((threading.get_ident(), len(input_ids)))
        time.sleep(0.01)  # long enough for the batches to overlap
        return np.column_stack([(input_ids * mask).sum(axis=1).numpy(), mask.sum(axis=1).numpy()]).astype(float)

    long_text = " ".join(["the council met on monday"] * 6)
    texts = [long_text, *TEXTS, long_text + " no", "rain"]
    args = (fitted.tokenizer_, texts, fitted.max_length, fitted.stride, 5, 2)
    serial = score_windows(forward, *args)
    forward.batch_size, forward.parallel = 2, lambda: 3
    seen.clear()
    side_by_side = score_windows(forward, *args)
    assert np.array_equal(side_by_side, serial)
    assert max(rows for _, rows in seen) == 2 and len({thread for thread, _ in seen}) > 1
    alone = np.vstack(
        [score_windows(forward, fitted.tokenizer_, [t], fitted.max_length, fitted.stride, 5, 2) for t in texts]
    )
    assert np.array_equal(side_by_side, alone)  # this forward ignores padding: each text gets its own figures


def test_the_int8_graph_has_fused_quantised_attention_and_none_of_the_slow_fusions(fitted, tmp_path):
    import onnx

    from classifier.models.transformer import export_onnx

    export_onnx(fitted.model_, tmp_path, int8=True)
    ops = {f: {n.op_type for n in onnx.load(tmp_path / f).graph.node} for f in ("model.onnx", "model-int8.onnx")}
    assert {"Attention", "EmbedLayerNormalization", "Gelu"} <= ops["model.onnx"]
    assert {"QAttention", "MatMulInteger"} <= ops["model-int8.onnx"] and "Attention" not in ops["model-int8.onnx"]
    assert not {"SkipLayerNormalization", "BiasGelu"} & (ops["model.onnx"] | ops["model-int8.onnx"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model-int8.onnx", "model.onnx"]  # no trace left behind
