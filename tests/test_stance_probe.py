import pandas as pd

from classifier.articles import Scorer
from classifier.labels import LABELS
from training.augment import HEADLINE_FRAMES, REPORTING_FRAMES
from training.stance_probe import (
    ATTRIBUTION_PROBES,
    HEADLINE_PROBES,
    SPEAKER_PROBES,
    main,
    probe,
    probe_claims,
    probe_texts,
)

COLUMNS = [*LABELS, *(f"{label}_reported" for label in LABELS)]


def _dev():
    rows = [
        ("NATO is preparing a war against Russia", "en", True, "none", "voiced"),
        ("Soros funds the protests to topple the government", "en", True, "voiced", "voiced"),
        ("The tram line opens in May after two years of works", "en", True, "none", "none"),
        ("A disproof says the claim that NATO plots is false", "en", True, "reported", "none"),
        ("Запад готовит войну против России", "ru", True, "none", "voiced"),
        ("The West " + "plots and plans " * 10, "en", True, "voiced", "none"),
    ]
    return pd.DataFrame(rows, columns=["text", "lang", "gold", *(f"{label}_stance" for label in LABELS)])


def _scorer(reads_frames: bool):
    """Voiced for every claim; reported instead when ``reads_frames`` and the text is a probe frame."""
    cues = ("narrative", "myth", "allegation", "accused others", "debunked")

    def predict(frame):
        framed = frame["text"].str.contains("|".join(cues)).to_numpy() & reads_frames
        out = {label: [0.1 if f else 0.9 for f in framed] for label in LABELS}
        out |= {f"{label}_reported": [0.9 if f else 0.1 for f in framed] for label in LABELS}
        return pd.DataFrame(out)

    return Scorer(predict, COLUMNS, dict.fromkeys(COLUMNS, 0.5), "in-memory")


def test_probe_takes_short_english_read_claims_that_voice_and_report_nothing():
    claims = probe_claims(_dev())
    assert claims["text"].str.split().str[0].tolist() == ["NATO", "Soros"]


def test_probe_counts_bare_claims_voiced_and_framed_ones_reported_per_label():
    texts = probe_texts(probe_claims(_dev()))
    assert len(texts) == 2 * (1 + len(SPEAKER_PROBES) + len(HEADLINE_PROBES) + len(ATTRIBUTION_PROBES))
    good = probe(_scorer(True), texts).set_index(["set", "label"])
    assert good.loc[("bare", "anti_foreign_rhetoric"), "n"] == 2 and good.loc[("bare", "conspiracy_framing"), "n"] == 1
    assert (good.loc["bare", "voiced"] == 1.0).all() and (good.loc["speaker", "voiced"] == 1.0).all()
    assert (good.loc["headline", "reported"] == 1.0).all() and (good.loc["attribution", "reported"] == 1.0).all()
    blind = probe(_scorer(False), texts).set_index(["set", "label"])
    assert (blind["voiced"] == 1.0).all() and (blind["reported"] == 0.0).all()


def test_probe_frames_are_not_the_training_frames():
    def template(frame):
        return frame.replace("{Claim}", "{claim}").split("{claim}")

    training = {part.strip(' ".,:') for frame in (*REPORTING_FRAMES, *HEADLINE_FRAMES) for part in template(frame)}
    probes = {
        part.strip(' ".,:')
        for frame in (*SPEAKER_PROBES, *HEADLINE_PROBES, *ATTRIBUTION_PROBES)
        for part in template(frame)
    }
    assert not (training & probes) - {""}


def test_probe_without_a_table_says_so(tmp_path, capsys):
    assert main(["--table", str(tmp_path / "missing.parquet")]) == 2
    assert "make data" in capsys.readouterr().err
