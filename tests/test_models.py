import numpy as np
import pytest
from sklearn.base import clone

from classifier.calibration import Calibrated
from classifier.models.persist import load_skops, save_skops
from classifier.models.tfidf import TfidfLogReg

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
] * 3
Y = np.array([[1, 0], [1, 0], [1, 0], [0, 0], [0, 0], [0, 0], [1, 0], [0, 0], [0, 1], [0, 0]] * 3, dtype=float)


def small_model(**params):
    return TfidfLogReg(min_df=1, max_features=5000, **params)


def test_sklearn_contract():
    model = small_model(C=2.0)
    assert model.get_params()["C"] == 2.0
    assert not hasattr(model, "vectorizer_")  # __init__ stores parameters only
    assert clone(model).get_params() == model.get_params()
    fitted = model.fit(TEXTS, Y)
    assert fitted is model and hasattr(model, "estimators_")


def test_probabilities_in_target_order():
    model = small_model().fit(TEXTS, Y)
    probs = model.predict_proba(["a secret cabal of elites", "the west wants to destroy us", "the council met"])
    assert probs.shape == (3, 2)
    assert ((0 <= probs) & (probs <= 1)).all()
    assert probs[0, 0] > probs[2, 0]
    assert probs[1, 1] > probs[2, 1]


def test_label_absent_from_training_gets_its_prior():
    y = Y.copy()
    y[:, 1] = 0.0
    model = small_model().fit(TEXTS, y)
    assert model.estimators_[1] is None
    assert np.allclose(model.predict_proba(["the west wants to destroy us"])[:, 1], 0.0)


def test_pyfunc_frame_keeps_a_label_absent_from_training():
    import pandas as pd

    from classifier.labels import LABELS
    from classifier.pyfunc import score_frame

    y = Y.copy()
    y[:, 1] = 0.0
    model = small_model().fit(TEXTS, y)
    texts = ["the west wants to destroy us", None, "secret elites"]
    out = score_frame(model, LABELS, pd.DataFrame({"text": texts}))
    assert list(out.columns) == list(LABELS) and len(out) == 3
    assert out.iloc[1].isna().all()
    assert (out.drop(index=1)["anti_foreign_rhetoric"] == 0.0).all()


def test_unknown_targets_are_ignored():
    y = Y.copy()
    y[:10, 0] = np.nan
    model = small_model().fit(TEXTS, y)
    assert model.predict_proba(TEXTS).shape == (len(TEXTS), 2)
    with pytest.raises(ValueError):
        small_model().fit(TEXTS, np.full((len(TEXTS), 2), 2.0))


def test_skops_round_trip(tmp_path):
    model = Calibrated(small_model().fit(TEXTS, Y)).fit(TEXTS, Y)
    path = save_skops(model, tmp_path / "model.skops")
    loaded = load_skops(path)
    assert np.allclose(loaded.predict_proba(TEXTS), model.predict_proba(TEXTS))
    assert loaded.targets == model.targets


def test_calibration_keeps_order_and_one_class_targets():
    base = small_model().fit(TEXTS, Y)
    y = Y.copy()
    y[:, 1] = 0.0  # one class on dev: left as is
    calibrated = Calibrated(base).fit(TEXTS, y)
    raw, cal = base.predict_proba(TEXTS), calibrated.predict_proba(TEXTS)
    assert np.allclose(raw[:, 1], cal[:, 1])
    order = np.argsort(raw[:, 0], kind="stable")
    assert np.all(np.diff(cal[order, 0]) >= -1e-12)  # sigmoid calibration is monotone


def test_joint_stance_gives_exclusive_voiced_and_reported_probabilities(tmp_path):
    from classifier.labels import LABELS, REPORTED_COLUMNS

    reported_texts = ["state media claimed a secret cabal planned it", "analysts describe the narrative of a plot"] * 3
    texts = TEXTS + reported_texts
    voiced = np.vstack([Y, np.zeros((len(reported_texts), 2))])
    reported = np.vstack([np.zeros_like(Y), np.tile([[1.0, 0.0]], (len(reported_texts), 1))])
    targets = (*LABELS, *REPORTED_COLUMNS)
    model = small_model(targets=targets, stance="joint").fit(texts, np.hstack([voiced, reported]))
    assert len(model.joint_) == 2 and all(estimator is None for estimator in model.estimators_)
    probs = model.predict_proba(["a hidden cabal runs the world", "state media claimed a secret cabal planned it"])
    assert probs.shape == (2, 4)
    assert (probs[:, 0] + probs[:, 2] <= 1 + 1e-9).all()  # one distribution over three stances per label
    assert probs[0, 0] > probs[0, 2] and probs[1, 2] > probs[1, 0]
    path = save_skops(model, tmp_path / "joint.skops")
    assert np.allclose(load_skops(path).predict_proba(texts), model.predict_proba(texts))
    with pytest.raises(ValueError, match="stance"):
        small_model(targets=targets, stance="both").fit(texts, np.hstack([voiced, reported]))
