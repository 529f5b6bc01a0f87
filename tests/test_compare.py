from types import SimpleNamespace

from training.compare import judgement_markdown


def _run(name, run_id, metrics):
    return SimpleNamespace(
        info=SimpleNamespace(run_name=name, run_id=run_id),
        data=SimpleNamespace(metrics=metrics, tags={"model_kind": "tfidf_logreg", "table_hash": "abc"}),
    )


def test_readme_table_gives_the_figures_per_source_and_blanks_a_source_without_reported_paragraphs():
    metrics = {
        "gold/judgement/voiced_macro_f1": 0.7,
        "gold/judgement/voiced_macro_f1_low": 0.6,
        "gold/judgement/voiced_macro_f1_high": 0.8,
        "gold/conspiracy_framing/n": 30.0,
    }
    for source, values in {"euvsdisinfo": (0.71, 0.82, 0.53, 0.64), "pan2024": (0.9, 0.1, 0.0, 0.0)}.items():
        metrics[f"gold/{source}/conspiracy_framing/n"] = 10.0
        for key, value in zip(
            (
                "conspiracy_framing",
                "anti_foreign_rhetoric",
                "conspiracy_framing_reported",
                "anti_foreign_rhetoric_reported",
            ),
            values,
        ):
            metrics[f"gold/{source}/{key}/f1"] = value
            metrics[f"gold/{source}/{key}/positives"] = 0.0 if source == "pan2024" and "reported" in key else 5.0
    text = judgement_markdown([_run("baseline", "r1", metrics)], {"r1": ["v3 (champion)"]}, "sqlite:///x", "today")
    assert "0.700 [0.600, 0.800]" in text
    assert "EUvsDisinfo 10, Telegram (PAN 2024) 10" in text
    row = next(line for line in text.splitlines() if line.startswith("| baseline | v3 (champion) | 0.71"))
    assert row.split(" | ")[2:] == ["0.71 / 0.82, 0.53 / 0.64", "0.90 / 0.10, – / – |"]
    assert "news (SemEval-2023)" not in text  # a source no run was scored on
