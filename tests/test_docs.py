"""The README, the Makefile, CI and the data card agree with each other and with the code."""

import re
import subprocess
import sys

import pytest

from classifier.store import REPO_ROOT
from tests.conftest import REAL_CORPORA

README = (REPO_ROOT / "README.md").read_text()
MAKEFILE = (REPO_ROOT / "Makefile").read_text()


def make_targets() -> set[str]:
    targets = set()
    for line in MAKEFILE.splitlines():
        match = re.match(r"^([a-z][a-z0-9 -]*):(?!=)", line)
        if match:
            targets.update(match.group(1).split())
    return targets


def test_every_make_command_in_the_readme_exists():
    mentioned = set(re.findall(r"make ([a-z][a-z-]*)", README))
    assert {"all", "test"} <= mentioned
    assert mentioned <= make_targets(), mentioned - make_targets()


def test_make_help_lists_every_target_of_the_makefile():
    out = subprocess.run(["make", "-s", "help"], cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout
    width = len("  make ") + 15  # the help rule prints the targets padded to 15 characters
    listed = {verb for line in out.splitlines() for verb in line[len("  make ") : width].split()}
    phony = set(re.search(r"^\.PHONY:(.*)$", MAKEFILE, re.MULTILINE).group(1).split())
    assert listed == make_targets() == phony


def test_the_readme_python_snippet_runs(tiny_model_store, tmp_path):
    """The README's Python example, pointed at a temporary store whose champion is the tiny model."""
    from mlflow import MlflowClient

    (snippet,) = re.findall(r"```python\n(.*?)```", README, re.DOTALL)
    assert 'mlflow.set_tracking_uri("sqlite:////path/to/repo/mlflow.db")' in snippet
    MlflowClient(tiny_model_store["uri"]).set_registered_model_alias("narrative-classifier", "champion", "1")
    code = snippet.replace("sqlite:////path/to/repo/mlflow.db", tiny_model_store["uri"])
    code = code.replace("\nmodel.predict(", "\nout = model.predict(") + "print(list(out.columns), len(out))\n"
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1].endswith(" 2") and "conspiracy_framing" in result.stdout


def test_ci_runs_the_readme_test_command():
    assert "make test" in (REPO_ROOT / ".ci" / "run").read_text()


def test_experiments_mentioned_in_the_readme_exist():
    for name in set(re.findall(r"EXP=([a-z0-9_]+)", README)):
        assert (REPO_ROOT / "experiments" / f"{name}.yaml").exists(), name


@pytest.mark.corpora
@pytest.mark.skipif(not REAL_CORPORA.exists(), reason="needs the corpora in ../shared/data")
def test_data_card_counts_match_the_build(tmp_path):
    from data.build import build, counts, gold_markdown, markdown

    frame, meta = build(REAL_CORPORA, strict=True)
    card = (REPO_ROOT / "data" / "README.md").read_text()
    assert f"Table hash `{meta['hash']}`" in card, "run `python -m data.build --update-card`"
    assert markdown(counts(frame)) in card
    assert gold_markdown(frame) in card


@pytest.mark.corpora
@pytest.mark.skipif(not REAL_CORPORA.exists(), reason="needs the corpora in ../shared/data")
def test_gold_joins_every_annotation_by_id_and_hash():
    from data.build import build
    from data.gold import read_annotations

    frame, _ = build(REAL_CORPORA, strict=True)
    annotations = read_annotations()
    assert len(annotations) >= 1500
    gold = frame[frame["gold"]]
    assert gold.groupby(["source", "group"])["split"].nunique().max() == 1
    for label in ("conspiracy_framing", "anti_foreign_rhetoric"):
        assert (annotations[label] == "voiced").sum() >= 150
        assert (annotations[label] == "reported").sum() >= 100


@pytest.mark.skipif(not (REPO_ROOT / ".venv" / ".installed").exists(), reason="needs the set-up .venv")
def test_make_all_trains_each_experiment_then_offers_it_to_promote():
    """`make -n all` (nothing run): the experiments of ALL_EXPS in order, each followed by promote, the
    examples last; and each is an experiment of experiments/."""
    default = re.search(r"^ALL_EXPS \?= (.*)$", MAKEFILE, re.MULTILINE).group(1).split()
    assert default[0] == "baseline" and "ensemble" in default
    for name in default:
        assert (REPO_ROOT / "experiments" / f"{name}.yaml").exists(), name
    for exps in (default, ["baseline"]):
        out = subprocess.run(
            ["make", "-n", "--no-print-directory", "all", f"ALL_EXPS={' '.join(exps)}"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
        steps = re.findall(r"-m (training\.train --exp \S+|training\.promote|scoring\.predict)", out)
        expected = [step for name in exps for step in (f"training.train --exp {name}", "training.promote")]
        assert steps == [*expected, "scoring.predict"], out
