"""The local engine with worker processes: the same bytes as one worker, the same resume after a kill,
nothing lost when a worker dies. The model is the tiny TF-IDF model of the scoring tests."""

from __future__ import annotations

import io
import json
import os

import pandas as pd
import pytest

from classifier.articles import Scorer
from scoring import local, outputs
from tests.conftest import tracking_store
from tests.test_score import SimulatedKill, _raise, invented_article, messy_dump, write_jsonl
from training import bench


@pytest.fixture(scope="module")
def scorer(tiny_model_store) -> Scorer:
    with tracking_store(tiny_model_store["uri"]):
        return Scorer.from_mlflow(tiny_model_store["model"])


def dump_of(tmp_path, n=120):
    articles = [invented_article(k) for k in range(n)]
    return write_jsonl(tmp_path / "dump.jsonl", [*articles[:30], b"{bad", *articles[30:]])


def test_workers_write_the_bytes_of_one_worker_and_report_their_memory(scorer, tmp_path):
    dump = dump_of(tmp_path)
    one, many = tmp_path / "one.jsonl", tmp_path / "many.jsonl"
    total_one, _ = local.run([dump], one, scorer, batch_size=7, log=io.StringIO())
    log = io.StringIO()
    total_many, _ = local.run([dump], many, scorer, batch_size=7, log=log, workers=3)
    assert one.read_bytes() == many.read_bytes()
    assert (total_many.read, total_many.ok, total_many.error, total_many.paragraphs, total_many.flagged) == (
        total_one.read,
        total_one.ok,
        total_one.error,
        total_one.paragraphs,
        total_one.flagged,
    )
    found = bench.WORKERS_LINE.search(log.getvalue())  # the line make bench reads
    assert found and found.group(1) == "3" and len(found.group(2).split(", ")) == 3


def test_workers_isolate_malformed_and_failing_articles_like_one_worker(scorer, tmp_path):
    def fails_on_nato(frame):
        if frame["text"].str.contains("destroy").any():
            raise RuntimeError("model failure")
        return scorer.predict_frame(frame)

    fragile = Scorer(fails_on_nato, scorer.columns, scorer.thresholds, scorer.name)
    dump = messy_dump(tmp_path / "messy.jsonl")
    one, many = tmp_path / "one.jsonl", tmp_path / "many.jsonl"
    local.run([dump], one, fragile, batch_size=3, log=io.StringIO())
    local.run([dump], many, fragile, batch_size=3, log=io.StringIO(), workers=2)
    assert one.read_bytes() == many.read_bytes()
    assert b"scoring failed: RuntimeError: model failure" in many.read_bytes()


def test_parquet_output_with_workers_is_the_parquet_of_one_worker(scorer, tmp_path):
    dump = dump_of(tmp_path, 60)
    one, many = tmp_path / "one.parquet", tmp_path / "many.parquet"
    local.run([dump], one, scorer, batch_size=7, log=io.StringIO(), part_records=20)
    local.run([dump], many, scorer, batch_size=7, log=io.StringIO(), part_records=20, workers=2)
    assert sorted(p.name for p in one.glob("part-*")) == sorted(p.name for p in many.glob("part-*"))
    pd.testing.assert_frame_equal(pd.read_parquet(one), pd.read_parquet(many))


@pytest.mark.parametrize("kills", [[(2, "torn")], [(5, "written"), (1, "committed")]])
def test_resume_with_workers_after_a_kill_gives_the_uninterrupted_output(scorer, tmp_path, monkeypatch, kills):
    dump = dump_of(tmp_path)
    reference = tmp_path / "reference.jsonl"
    local.run([dump], reference, scorer, batch_size=6, log=io.StringIO())
    monkeypatch.setattr(outputs, "_die", _raise)
    output = tmp_path / "out.jsonl"
    for number, (chunk, phase) in enumerate(kills):
        monkeypatch.setenv(outputs.CRASH_ENV, f"{chunk}:{phase}")
        with pytest.raises(SimulatedKill):
            local.run([dump], output, scorer, batch_size=6, resume=number > 0, log=io.StringIO(), workers=2)
    monkeypatch.delenv(outputs.CRASH_ENV)
    total, _ = local.run([dump], output, scorer, batch_size=6, resume=True, log=io.StringIO(), workers=2)
    assert output.read_bytes() == reference.read_bytes()
    assert total.read == 121


def test_a_dead_worker_stops_the_run_and_a_resume_loses_nothing(scorer, tmp_path):
    """A worker killed (say, by the OOM killer) fails the run; the checkpoint holds only written chunks."""
    dump = dump_of(tmp_path)
    reference = tmp_path / "reference.jsonl"
    local.run([dump], reference, scorer, batch_size=6, log=io.StringIO())
    parent = os.getpid()

    def dies_on_article_50(frame):
        if os.getpid() != parent and frame["text"].str.contains("Report number 51").any():
            os._exit(9)
        return scorer.predict_frame(frame)

    mortal = Scorer(dies_on_article_50, scorer.columns, scorer.thresholds, scorer.name)
    output = tmp_path / "out.jsonl"
    with pytest.raises(Exception, match="terminated abruptly|process pool"):
        local.run([dump], output, mortal, batch_size=6, log=io.StringIO(), workers=2)
    done = json.loads(output.with_name(output.name + ".checkpoint").read_text())["records"]
    assert 0 < done < 52
    local.run([dump], output, scorer, batch_size=6, resume=True, log=io.StringIO(), workers=2)
    assert output.read_bytes() == reference.read_bytes()


def test_workers_must_be_positive(scorer, tmp_path):
    with pytest.raises(local.RunError, match="--workers"):
        local.run([dump_of(tmp_path, 3)], tmp_path / "o.jsonl", scorer, log=io.StringIO(), workers=0)


def test_spark_projection_scales_the_one_core_rate_by_the_measured_efficiency():
    one = {"read": 100, "seconds": 10.0}  # 10 articles/s on local[1]
    two = {"read": 100, "seconds": 6.25}  # 16 articles/s on local[2]: 0.8 per core
    projected = bench.spark_projection(one, two, cores=50)
    assert projected["rate1"] == pytest.approx(10.0) and projected["rate2"] == pytest.approx(16.0)
    assert projected["efficiency"] == pytest.approx(0.8)
    assert projected["hours"] == pytest.approx(1_000_000 / (10.0 * 50 * 0.8) / 3600)
