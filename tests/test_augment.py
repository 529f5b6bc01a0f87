import pandas as pd

from training.augment import counterfactual_pairs


def _train():
    rows = [
        ("euvsdisinfo:c1:0", "en", True, "NATO is preparing a war against Russia", "none", "voiced"),
        ("euvsdisinfo:c2:0", "en", True, "Soros funds the protests to topple the government", "voiced", "voiced"),
        ("euvsdisinfo:c3:0", "en", True, "The tram line opens in May after two years of works", "none", "none"),
        ("euvsdisinfo:c4:12", "en", True, "A disproof says the claim that NATO plots is false", "reported", "none"),
        ("semeval2023:1:1", "ru", True, "Запад готовит войну против России", "none", "voiced"),
        ("semeval2023:1:2", "en", False, "Unread paragraph about NATO plots", None, None),
    ]
    frame = pd.DataFrame(
        rows, columns=["uid", "lang", "gold", "text", "conspiracy_framing_stance", "anti_foreign_rhetoric_stance"]
    )
    frame["conspiracy_framing"] = (frame["conspiracy_framing_stance"] == "voiced").astype(float)
    frame["anti_foreign_rhetoric"] = (frame["anti_foreign_rhetoric_stance"] == "voiced").astype(float)
    frame["conspiracy_framing_reported"] = 0.0
    frame["anti_foreign_rhetoric_reported"] = 0.0
    frame["origin"], frame["start"], frame["end"], frame["weak"], frame["split"] = "claim", -1, -1, False, "train"
    return frame


def test_pairs_come_from_read_voiced_english_claims_only_and_flip_voiced_to_reported():
    pairs = counterfactual_pairs(_train(), per_claim=2, seed=1)
    assert set(pairs["uid"].str.rsplit(":", n=1).str[0]) == {"euvsdisinfo:c1:0", "euvsdisinfo:c2:0"}
    assert len(pairs) == 4 and (pairs["origin"] == "counterfactual").all()
    c1 = pairs[pairs["uid"].str.startswith("euvsdisinfo:c1:0")]
    assert (c1["anti_foreign_rhetoric_stance"] == "reported").all() and (
        c1["conspiracy_framing_stance"] == "none"
    ).all()
    assert (c1["anti_foreign_rhetoric_reported"] == 1.0).all() and (c1["anti_foreign_rhetoric"] == 0.0).all()
    c2 = pairs[pairs["uid"].str.startswith("euvsdisinfo:c2:0")]
    assert (c2[["conspiracy_framing_reported", "anti_foreign_rhetoric_reported"]] == 1.0).all().all()
    assert all("war against Russia" in text or "oros funds" in text for text in pairs["text"])


def test_no_pairs_without_voiced_claims():
    train = _train()
    train = train[train["anti_foreign_rhetoric_stance"].ne("voiced") & train["conspiracy_framing_stance"].ne("voiced")]
    assert counterfactual_pairs(train).empty


def test_headline_frames_only_for_headline_length_claims_and_report_what_the_claim_voices():
    train = _train()
    long_claim = train.iloc[1].copy()
    long_claim["uid"], long_claim["text"] = "euvsdisinfo:c5:0", "Soros funds the protests " + "and much more " * 10
    train = pd.concat([train, long_claim.to_frame().T], ignore_index=True)
    pairs = counterfactual_pairs(train, per_claim=0, headlines=2, seed=3)
    heads = pairs[pairs["uid"].str.contains(":cf-h")]
    assert set(heads["uid"].str.rsplit(":", n=1).str[0]) == {"euvsdisinfo:c1:0", "euvsdisinfo:c2:0"}
    assert len(heads) == 4 and len(pairs) == 4  # no reporting frame when per_claim=0
    c1 = heads[heads["uid"].str.startswith("euvsdisinfo:c1:0")]
    assert (c1["anti_foreign_rhetoric_stance"] == "reported").all() and (
        c1["conspiracy_framing_stance"] == "none"
    ).all()
    assert all(not text.endswith(".") for text in heads["text"])


def test_pairs_are_the_same_for_the_same_seed():
    first = counterfactual_pairs(_train(), per_claim=1, seed=0, headlines=1)
    again = counterfactual_pairs(_train(), per_claim=1, seed=0, headlines=1)
    assert first["text"].tolist() == again["text"].tolist()
    assert first["uid"].str.contains(":cf-h").sum() == 2 and first["uid"].str.contains(":cf-r").sum() == 2


def test_model_card_counts_the_counterfactual_rows_only_when_there_are_some():
    from classifier.labels import LABELS
    from training.config import load_config
    from training.modelcard import model_card

    def card(n, negatives=0):
        counts = {"train": 120, "dev": 10, "test": 10, "counterfactual": n, "hard_negatives": negatives}
        return model_card(
            load_config("baseline"),
            metrics={},
            thresholds=dict.fromkeys(LABELS, 0.5),
            columns=LABELS,
            table_hash="x",
            counts=counts,
            sources=["euvsdisinfo"],
            commit="c",
            train_seconds=1.0,
        )

    assert "Counterfactual rows" not in card(0)
    assert "Counterfactual rows (read-voiced claims in reporting frames and headlines" in card(20)
    assert "20 of the train rows, weighted 0.1" in card(20)
    assert "Topic-matched hard negatives (read" not in card(20)
    assert "`training.metrics.hard_negatives`): 7 of the train rows, weighted 4" in card(20, negatives=7)


def test_hard_negatives_are_weighted_only_among_read_paragraphs_and_never_in_counterfactual_rows():
    from training.config import DataConfig
    from training.dataset import hard_negative_rows, weights

    train = _train()
    train.loc[2, "text"] = "NATO ministers met in Brussels to discuss the budget"  # on topic, read none
    frame = pd.concat([train, counterfactual_pairs(train, per_claim=1)], ignore_index=True)
    plain = weights(frame, DataConfig(counterfactual_weight=0.1))
    weighted = weights(frame, DataConfig(counterfactual_weight=0.1, hard_negative_weight=3.0))
    changed = set(frame.loc[weighted != plain, "uid"])
    assert changed == {"euvsdisinfo:c3:0"} and weighted[2] == 3.0 * plain[2]
    assert set(frame.loc[hard_negative_rows(frame), "uid"]) == changed
    assert (weighted[frame["origin"] == "counterfactual"] == 0.1).all()
