"""The multilingual encoder kind: real embeddings from the packaged encoder (no download)."""

import numpy as np
from sklearn.base import clone

from classifier.labels import LABELS, REPORTED_COLUMNS
from classifier.models.multilingual import MultilingualLogReg, encoder_threads
from classifier.models.persist import load_skops, save_skops

TEXTS = [
    "A secret cabal of bankers planned the crisis.",
    "The council approved the budget on Monday.",
    "State media claimed, without evidence, that a cabal planned the crisis.",
    "Le conseil municipal a approuvé le budget lundi.",
    "Запад хочет уничтожить Россию и её народ.",
    "Der Westen will Russland zerstören.",
] * 4
Y = np.array([[1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0], [0, 1, 0, 0], [0, 1, 0, 0]] * 4, dtype=float)


def test_contract_languages_and_persistence(tmp_path):
    model = MultilingualLogReg(targets=(*LABELS, *REPORTED_COLUMNS))
    assert clone(model).get_params() == model.get_params() and not hasattr(model, "joint_")
    model.fit(TEXTS, Y)
    assert len(model.joint_) == 2
    probs = model.predict_proba(["Die Regierung hat den Haushalt beschlossen.", "El Occidente quiere destruir Rusia."])
    assert probs.shape == (2, 4) and ((probs >= 0) & (probs <= 1)).all()
    assert (probs[:, 0] + probs[:, 2] <= 1 + 1e-9).all()
    # The Spanish sentence was never seen: the encoder carries the German and Russian ones to it.
    assert probs[1, 1] > probs[0, 1]
    path = save_skops(model, tmp_path / "model.skops")
    assert np.allclose(load_skops(path).predict_proba(TEXTS[:6]), model.predict_proba(TEXTS[:6]), atol=1e-6)


def test_encoder_threads_never_exceed_omp_num_threads(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert encoder_threads(2) == 2  # the saved setting
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # a local engine worker on 2 cores with 2 workers
    assert encoder_threads(2) == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "8")
    assert encoder_threads(2) == 2
    monkeypatch.setenv("OMP_NUM_THREADS", "zero")
    assert encoder_threads(2) == 2
