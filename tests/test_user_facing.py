"""What a user sees: record contents, languages, web pages, one-line errors, the MLflow run's figures."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from classifier.articles import UNSUPPORTED, Scorer, output_record, score_articles
from classifier.language import detect
from classifier.store import REPO_ROOT, use_store
from scoring.checks import check_first_records, error_kind
from scoring.readers import Source, doc_item, extract_page
from scoring.records import RunError
from tests.conftest import tracking_store

PAGES = Path(__file__).parent / "fixtures" / "pages"
COLUMNS = ["conspiracy_framing", "anti_foreign_rhetoric"]
THRESHOLDS = {"conspiracy_framing": 0.5, "anti_foreign_rhetoric": 0.6}


def keyword_scorer(languages=None) -> Scorer:
    """Scores 0.9 (conspiracy) / 0.95 (anti-foreign) for texts with 'plot' / 'foreign', else 1/3."""

    def predict(frame):
        texts = frame["text"].str.lower()
        return pd.DataFrame(
            {
                "conspiracy_framing": np.where(texts.str.contains("plot"), 0.9, 1 / 3),
                "anti_foreign_rhetoric": np.where(texts.str.contains("foreign|иностран"), 0.95, 1 / 3),
            },
            index=frame.index,
        )

    return Scorer(predict, COLUMNS, dict(THRESHOLDS), "keywords", languages)


# --- records ------------------------------------------------------------------------------------


def test_records_round_give_thresholds_every_stance_and_title_only_verdicts():
    articles = [
        {"id": "t", "title": "Foreign agents must be expelled", "text": "The council approved a tram line."},
        {"id": "b", "title": "A quiet day", "text": "Foreign agents are behind the plot.\n\nThe weather was fine."},
    ]
    title_only, body = [output_record(r) for r in score_articles(articles, keyword_scorer())]

    assert title_only["thresholds"] == {"conspiracy_framing": 0.5, "anti_foreign_rhetoric": 0.6}
    assert title_only["scores"] == {"conspiracy_framing": 0.3333, "anti_foreign_rhetoric": 0.95}
    assert title_only["verdicts"]["anti_foreign_rhetoric"] == "voices"
    assert title_only["title_only"] == {"conspiracy_framing": False, "anti_foreign_rhetoric": True}
    assert body["title_only"] == {"conspiracy_framing": False, "anti_foreign_rhetoric": False}
    for record in (title_only, body):
        for item in record["evidence"]:
            assert set(item["stances"]) == set(COLUMNS)  # none included
            assert all(len(repr(v).split(".")[-1]) <= 4 for v in item["scores"].values())
    assert "none" in title_only["evidence"][0]["stances"].values()


# --- languages ----------------------------------------------------------------------------------


def test_language_is_detected_and_unsupported_languages_are_flagged_with_their_scores():
    assert detect("Foreign agents and their Western paymasters are destroying our nation") == "en"
    assert detect("Иностранные агенты и их западные хозяева разрушают нашу страну изнутри") == "ru"
    assert detect("12 345 --") is None and detect("Too short.") is None

    declared = {
        "en": {"paragraphs": 400, "voiced_macro_f1": 0.7, "supported": True},
        "ru": {"paragraphs": 40, "voiced_macro_f1": 0.2, "supported": False},
    }
    articles = [
        {"id": "en", "text": "Foreign agents and their Western paymasters are destroying our nation from within."},
        {"id": "ru", "text": "Иностранные агенты и их западные хозяева разрушают нашу страну изнутри."},
        {"id": "given", "lang": "ru", "text": "Foreign agents and their Western paymasters are destroying us."},
    ]
    en, ru, given = score_articles(articles, keyword_scorer(declared))
    assert (en["lang"], en["lang_detected"], en["status"]) == ("en", True, "ok")
    assert (ru["lang"], ru["lang_detected"], ru["status"]) == ("ru", True, UNSUPPORTED)
    assert ru["scores"]["anti_foreign_rhetoric"] == 0.95 and ru["verdicts"]["anti_foreign_rhetoric"] == "voices"
    assert (given["lang"], given["lang_detected"], given["status"]) == ("ru", False, UNSUPPORTED)
    # a model that declares nothing flags nothing
    assert [r["status"] for r in score_articles(articles, keyword_scorer())] == ["ok"] * 3


def test_language_support_is_measured_per_language_with_minimums():
    from training.languages import language_support

    rows, probs = [], []
    for lang, n, right in (("en", 120, True), ("ru", 120, False), ("bg", 10, True)):
        for i in range(n):
            voiced = i % 2 == 0
            rows.append(
                {
                    "lang": lang,
                    "gold": True,
                    "conspiracy_framing_stance": "voiced" if voiced else "none",
                    "anti_foreign_rhetoric_stance": "voiced" if voiced else "none",
                }
            )
            hit = voiced if right else not voiced
            probs.append([0.9 if hit else 0.1, 0.9 if hit else 0.1])
    frame = pd.DataFrame(rows)
    declared = language_support(frame, np.array(probs), COLUMNS, {c: 0.5 for c in COLUMNS})
    assert declared["en"] == {"paragraphs": 120, "voiced_macro_f1": 1.0, "supported": True}
    assert declared["ru"] == {"paragraphs": 120, "voiced_macro_f1": 0.0, "supported": False}
    assert declared["bg"]["voiced_macro_f1"] == 1.0 and not declared["bg"]["supported"]  # too few paragraphs


# --- web pages ----------------------------------------------------------------------------------


def test_web_page_main_text_leaves_boilerplate_out_and_the_record_gives_the_text():
    title, text, extractor = extract_page((PAGES / "tram_line.html").read_text())
    assert extractor == "trafilatura"
    assert title == "Council approves the Eastside tram line"
    assert "tram line on Tuesday evening" in text and "first trams to run in 2029" in text
    for boilerplate in ("cookies", "ADVERTISEMENT", "Trending", "Foreign agents", "By Jane Miller", "Related:", "©"):
        assert boilerplate not in text

    item = doc_item(PAGES / "tram_line.html", "tram_line.html")
    (record,) = [output_record(r) for r in score_articles([item.article], keyword_scorer())]
    assert record["verdicts"] == {"conspiracy_framing": "none", "anti_foreign_rhetoric": "none"}
    assert record["extracted_text"] == text
    paragraphs = [p for p in score_articles([item.article], keyword_scorer())[0]["paragraphs"] if p["field"] == "text"]
    assert text[paragraphs[0]["start"] : paragraphs[0]["end"]].startswith("The city council approved")


def test_web_page_without_main_text_falls_back_to_the_plain_extractor(tmp_path):
    page = tmp_path / "fragment.html"
    page.write_text("<html><body><nav>Home</nav><p>Foreign agents plot.</p></body></html>")
    item = doc_item(page, "fragment.html")
    assert item.article["text"] == "Foreign agents plot."
    assert item.article["extractor"] in ("trafilatura", "html.parser")
    _, text, extractor = extract_page("<div><span>Short</span></div>")
    assert (text, extractor) == ("Short", "html.parser")


# --- mistakes -----------------------------------------------------------------------------------


def test_first_records_all_one_kind_of_error_stop_the_run_naming_the_fields(tmp_path):
    dump = tmp_path / "body.jsonl"
    dump.write_text("".join(json.dumps({"id": i, "body": "x", "headline": "y"}) + "\n" for i in range(30)))
    with pytest.raises(RunError, match=r"first 30 records .*missing 'text'.* body \(30\), headline \(30\), id \(30\)"):
        check_first_records(Source([dump]), limit=30)
    check_first_records(Source([dump]), limit=31)  # fewer records than the limit: written as error records
    check_first_records(Source([dump]), limit=0)

    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text('{"id": 1, "body": "x"}\nnot json\n' * 20)
    check_first_records(Source([mixed]), limit=10)  # two kinds of error: not stopped
    good = tmp_path / "good.jsonl"
    good.write_text('{"id": 1, "text": "fine"}\n' + '{"body": 1}\n' * 50)
    check_first_records(Source([good]), limit=10)
    assert error_kind("line 12: not valid JSON: Expecting value: line 1 column 1 (char 0)") == error_kind(
        "line 3: not valid JSON: Expecting value: line 1 column 1 (char 0)"
    )


def cli(args: list[str], store: dict, cwd: Path) -> subprocess.CompletedProcess:
    env = {"MLFLOW_TRACKING_URI": store["uri"], "MLFLOW_DISABLE_TELEMETRY": "true", "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_cli_mistakes_are_one_line_and_say_what_exists(tiny_model_store, tmp_path):
    output = tmp_path / "out.jsonl"
    output.write_text("kept\n")
    missing = cli(
        ["-m", "scoring.predict", str(tmp_path / "missing.jsonl"), "-o", str(output)], tiny_model_store, tmp_path
    )
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert "missing.jsonl: no such file or directory" in missing.stderr
    assert output.read_text() == "kept\n"  # not truncated

    examples = REPO_ROOT / "examples" / "articles.jsonl"
    alias = cli(
        ["-m", "scoring.score", str(examples), "-o", str(output), "--model", "models:/narrative-classifier@champoin"],
        tiny_model_store,
        tmp_path,
    )
    assert alias.returncode == 2 and "Traceback" not in alias.stderr
    loading, error = alias.stderr.strip().splitlines()  # the error is one line, after the model's loading
    assert loading == "score: loading the model models:/narrative-classifier@champoin ..."
    assert "@candidate (version 1)" in alias.stderr and "versions 1" in alias.stderr
    name = cli(
        ["-m", "scoring.score", str(examples), "-o", str(output), "--model", "models:/narative/1"],
        tiny_model_store,
        tmp_path,
    )
    assert "registered models in" in name.stderr and "narrative-classifier" in name.stderr

    dump = tmp_path / "body.jsonl"
    dump.write_text("".join(json.dumps({"id": i, "body": "some text"}) + "\n" for i in range(1_000)))
    body = cli(["-m", "scoring.score", str(dump), "-o", str(tmp_path / "body_out.jsonl")], tiny_model_store, tmp_path)
    assert body.returncode == 2 and "Traceback" not in body.stderr
    assert "missing 'text'" in body.stderr and "body (1,000)" in body.stderr
    assert not (tmp_path / "body_out.jsonl").exists()
    assert "type hints" not in body.stderr + alias.stderr


def test_unknown_experiment_lists_the_experiments():
    from training.config import ConfigError, load_config

    with pytest.raises(ConfigError, match=r"no experiment 'baseline_typo'.*baseline, baseline_mapped"):
        load_config("baseline_typo")


def test_loading_the_model_warns_nothing_about_type_hints(tiny_model_store):
    import mlflow

    with tracking_store(tiny_model_store["uri"]), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        use_store()
        mlflow.pyfunc.load_model(tiny_model_store["model"])
    assert not [w for w in caught if "type hints" in str(w.message)]


# --- the MLflow run ----------------------------------------------------------------------------


def test_error_table_gives_the_whole_text_first_and_figures_name_the_split():
    from training.metrics import errors_markdown, figures, worst_errors

    long = "Foreign agents are everywhere. " * 30
    frame = pd.DataFrame(
        {
            "text": [long, "A tram line.", "Another plot.", "Fine.", "Calm."] * 4,
            "source": ["a", "b"] * 10,
            "uid": [str(i) for i in range(20)],
            "conspiracy_framing": [0.0, 1.0, 1.0, 0.0, 0.0] * 4,
        }
    )
    probs = np.array([[0.9], [0.1], [0.8], [0.2], [0.1]] * 4)
    table = worst_errors(frame, probs, ["conspiracy_framing"], {"conspiracy_framing": 0.5})
    assert table.columns[0] == "text" and long in table["text"].tolist()
    # the MLflow UI's table view cuts a cell to its column; the Markdown copy gives every text whole
    markdown = errors_markdown(table, "gold")
    assert markdown.startswith("# Most confident errors, read test split")
    assert "## conspiracy_framing: false positives (threshold 0.5000)" in markdown
    assert "## conspiracy_framing: false negatives" in markdown
    assert long.strip() in markdown and "**0.9000** a, `0`" in markdown
    piped = table.assign(text=["a | b *c* <script>"] * len(table))
    assert "a \\| b \\*c\\* \\<script\\>" in errors_markdown(piped, "gold")  # Markdown and HTML stay text

    drawn = figures(frame, probs, ["conspiracy_framing"], {"conspiracy_framing": 0.5}, "gold")
    matrix = drawn["confusion_conspiracy_framing.png"].axes[0]
    assert "read test split" in matrix.get_title()
    assert [t.get_text() for t in matrix.get_xticklabels()] == ["not conspiracy framing", "conspiracy framing"]
    cells = {t.get_text(): t.get_color() for t in matrix.texts}
    assert len(set(map(str, cells.values()))) == 2  # light text on the dark cell, dark on the light ones
    assert "read test split" in drawn["pr_curve_conspiracy_framing.png"].axes[0].get_title()
    assert "read test split" in drawn["calibration_conspiracy_framing.png"].axes[0].get_title()


def test_the_run_carries_its_description_and_the_experiment_its_kind(tiny_model_store):
    from mlflow import MlflowClient

    from training.metrics import MARKDOWN_SPECIALS

    with tracking_store(tiny_model_store["uri"]):
        import mlflow

        use_store()
        client = MlflowClient()
        experiment = client.get_experiment_by_name("narrative-classifier")
        assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"
        (run,) = client.search_runs([experiment.experiment_id], max_results=1)
        assert run.data.tags["mlflow.note.content"] == "tiny model for the scoring tests"
        unrounded = {k: v for k, v in run.data.metrics.items() if round(v, 4) != v}
        assert run.data.metrics and not unrounded  # the UI lists values as logged: 4 digits
        grouped = {"gold/judgement/voiced_macro_f1", "gold/conspiracy_framing/f1", "train_seconds"}
        assert grouped <= set(run.data.metrics)
        errors = json.loads(Path(client.download_artifacts(run.info.run_id, "errors/gold_worst.json")).read_text())
        markdown = Path(client.download_artifacts(run.info.run_id, "errors/gold_worst.md")).read_text()
        texts = [row[errors["columns"].index("text")] for row in errors["data"]]
        assert texts and all(" ".join(t.split()) in markdown for t in texts if t == t.translate(MARKDOWN_SPECIALS))
        metadata = mlflow.models.get_model_info(tiny_model_store["model"]).metadata
        assert metadata["languages"]["en"]["supported"] is True
        assert set(metadata["languages"]["en"]) == {"paragraphs", "voiced_macro_f1", "supported"}


def test_the_ui_url_opens_the_training_runs_in_the_model_training_view(tiny_model_store, tmp_path):
    from mlflow import MlflowClient

    from training.tracking import ui_url

    experiment = MlflowClient(tiny_model_store["uri"]).get_experiment_by_name("narrative-classifier")
    assert ui_url(5000, tiny_model_store["uri"]) == (
        f"http://127.0.0.1:5000/#/experiments/{experiment.experiment_id}/runs?workflowType=machine_learning"
    )
    empty = f"sqlite:///{tmp_path / 'empty.db'}"  # no training yet: the list of experiments, same view
    assert ui_url(5001, empty) == "http://127.0.0.1:5001/#/experiments?workflowType=machine_learning"
    assert "ui_url($(PORT))" in (REPO_ROOT / "Makefile").read_text()  # what `make ui` prints
