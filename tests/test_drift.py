"""training.drift: which rows are of the later cases, the size control, and a run on a small table."""

import numpy as np
import pandas as pd
import pytest

from tests.conftest import sample_experiment
from training import drift
from training.config import load_config
from training.dataset import load_splits

URL = "https://euvsdisinfo.eu/report/case-{}/"


def claims_file(corpora, dates: dict[str, str]) -> None:
    (corpora / "euvsdisinfo").mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"date": list(dates.values()), "id": list(dates), "title": "a claim"}).to_csv(
        corpora / "euvsdisinfo" / "claim_titles.csv", index=False
    )


def test_case_years_reads_the_claim_dates_and_skips_undated_cases(tmp_path):
    claims_file(tmp_path, {URL.format(1): "2016-03-01", URL.format(2): "2020-09-30", URL.format(3): "not a date"})
    assert drift.case_years(tmp_path) == {URL.format(1): 2016, URL.format(2): 2020}
    with pytest.raises(FileNotFoundError, match="claim_titles.csv"):
        drift.case_years(tmp_path / "elsewhere")


def test_later_rows_are_euvsdisinfo_cases_of_those_years_only():
    years = {URL.format(1): 2016, URL.format(2): 2019, URL.format(3): 2020}
    frame = pd.DataFrame(
        {
            "source": ["euvsdisinfo", "euvsdisinfo", "euvsdisinfo", "euvsdisinfo", "semeval2023"],
            "doc_id": [URL.format(1), URL.format(2), URL.format(3), URL.format(4), URL.format(3)],
        }
    )
    assert drift.later_rows(frame, years, 2019).tolist() == [False, True, True, False, False]
    assert drift.later_rows(frame, years, 2020).tolist() == [False, False, True, False, False]


def test_random_rows_draw_euvsdisinfo_rows_outside_the_later_cases():
    frame = pd.DataFrame({"source": ["euvsdisinfo"] * 6 + ["pan2024"] * 4})
    excluded = np.array([True, True] + [False] * 8)
    drawn = drift.random_rows(frame, excluded, 3, seed=0)
    assert drawn.sum() == 3 and not (drawn & excluded).any() and not drawn[6:].any()
    assert (drawn == drift.random_rows(frame, excluded, 3, seed=0)).all()
    with pytest.raises(ValueError, match="cannot draw 5"):
        drift.random_rows(frame, excluded, 5, seed=0)


def test_main_refits_each_way_and_prints_the_paired_differences(tmp_path, capsys):
    experiment = sample_experiment(tmp_path, "drift", base="baseline")
    table = tmp_path / "build" / "paragraphs.parquet"
    frame = pd.read_parquet(table)
    frame["source"] = "euvsdisinfo"
    frame["doc_id"] = [URL.format(i) for i in range(len(frame))]
    frame["group"] = frame["doc_id"]
    frame.to_parquet(table)
    later = {i for i in range(len(frame)) if i % 3 == 0}  # a third of each split, every split
    claims_file(
        tmp_path / "corpora", {URL.format(i): "2020-01-01" if i in later else "2016-01-01" for i in range(len(frame))}
    )

    code = drift.main(["--exp", str(experiment), "--corpora", str(tmp_path / "corpora"), "--draws", "1"])
    out = capsys.readouterr().out
    test_later = sum(1 for i, split in enumerate(frame["split"]) if split == "test" and i in later)
    train = load_splits(load_config(str(experiment)).data).train  # read rows and their counterfactual rows
    train_later = int(train["doc_id"].isin([URL.format(i) for i in later]).sum())
    assert train_later > sum(1 for i, split in enumerate(frame["split"]) if split == "train" and i in later)
    assert code == 0
    assert f"judged on {test_later} EUvsDisinfo test paragraphs" in out
    assert f"{train_later} training rows are of those cases" in out
    for name in ("every year", "before 2019", f"random {train_later} (1)"):
        assert f"  {name} " in out
    assert out.count("before 2019 minus ") == 2 and "voiced_macro_f1" in out


def test_main_says_so_when_no_test_case_is_that_late(tmp_path, capsys):
    experiment = sample_experiment(tmp_path, "drift", base="baseline")
    claims_file(tmp_path / "corpora", {URL.format(1): "2016-01-01"})
    assert drift.main(["--exp", str(experiment), "--corpora", str(tmp_path / "corpora")]) == 2
    assert "no EUvsDisinfo test paragraph" in capsys.readouterr().err
