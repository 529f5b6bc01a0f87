"""Inputs and files that must not stop a run or get into it: each case of the hardening issue, reproduced.

Bounds are tested with small limits passed in; nothing here reads more than a few megabytes.
"""

from __future__ import annotations

import gzip
import io
import json
import os
from pathlib import Path

import pytest

from classifier.articles import Scorer
from scoring import local, outputs, predict, readers, score
from scoring.outputs import prepare
from scoring.readers import InputError, Limits, Source
from scoring.records import RunError
from tests.conftest import tracking_store

NO_MODEL = ["--model", "models:/no-such-model/1"]  # loading it would fail: a test passes only if it is never loaded


@pytest.fixture(scope="module")
def scorer(tiny_model_store) -> Scorer:
    with tracking_store(tiny_model_store["uri"]):
        return Scorer.from_mlflow(tiny_model_store["model"])


def lines_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def items(path: Path, **kwargs) -> list:
    return list(Source([path], **kwargs).items())


def dump(path: Path, count: int) -> Path:
    path.write_text(
        "".join(json.dumps({"id": f"a{n}", "text": f"Article number {n:04d}."}) + "\n" for n in range(count))
    )
    return path


# --- 1. one nested line --------------------------------------------------------------------------


def test_a_deeply_nested_line_is_one_error_record_and_the_run_goes_on(scorer, tmp_path):
    deep = '{"id":"d","text":"hi","x":' + "[" * 1000 + "]" * 1000 + "}"
    nested = '{"id":"n","text":"hi","x":' + "[" * 100 + "]" * 100 + "}"  # parses, but too deep to pass through
    source = tmp_path / "in.jsonl"
    source.write_text('{"id":"a","text":"First."}\n' + deep + "\n" + nested + '\n{"id":"b","text":"Last."}\n')
    got = items(source)
    assert [i.id for i in got] == ["a", "in.jsonl:2", "in.jsonl:3", "b"]
    assert "nested too deeply" in got[1].error and "nested more than" in got[2].error
    total, _ = local.run([source], tmp_path / "out.jsonl", scorer, log=io.StringIO())
    records = lines_of(tmp_path / "out.jsonl")
    assert [r["status"] for r in records] == ["ok", "error", "error", "ok"] and total.read == 4


def test_a_record_that_cannot_be_written_becomes_an_error_record(scorer):
    line = local.safe_json_line({"id": "x", "status": "ok", "scores": {"a": object()}}, scorer)
    record = json.loads(line)
    assert record["id"] == "x" and record["status"] == "error" and "cannot be written" in record["error"]


# --- 2. resume against changed input --------------------------------------------------------------


def test_resume_refuses_an_input_whose_content_changed_at_the_same_size(scorer, tmp_path):
    source = dump(tmp_path / "in.jsonl", 600)
    output = tmp_path / "out.jsonl"
    with pytest.raises(RunError, match="--max-records 320"):
        local.run([source], output, scorer, batch_size=64, limits=Limits(records=320), log=io.StringIO())
    assert len(lines_of(output)) == 320
    size = source.stat().st_size
    lines = source.read_text().splitlines(keepends=True)
    source.write_text("".join(lines[1:] + lines[:1]))  # line 1 moved to the end: same size, other content
    assert source.stat().st_size == size
    with pytest.raises(RunError, match="input has changed"):
        local.run([source], output, scorer, resume=True, log=io.StringIO())
    source.write_text("".join(lines))  # the original again: the resume goes on and ends like one run
    total, _ = local.run([source], output, scorer, resume=True, log=io.StringIO())
    assert [r["id"] for r in lines_of(output)] == [f"a{n}" for n in range(600)] and total.read == 600


def test_a_directory_fingerprint_covers_file_content(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.txt").write_text("one text")
    before = readers.fingerprint(tmp_path / "d")
    (tmp_path / "d" / "a.txt").write_text("two text")
    assert readers.fingerprint(tmp_path / "d") != before


# --- 3. two runs on one output --------------------------------------------------------------------


def test_a_second_run_on_a_locked_output_exits_2_before_loading_the_model(tmp_path, capsys):
    source = dump(tmp_path / "in.jsonl", 3)
    output = tmp_path / "out.jsonl"
    held = prepare(output, resume=False)
    try:
        assert score.main([str(source), "-o", str(output), *NO_MODEL]) == 2
        err = capsys.readouterr().err
        assert "being written by another run" in err and f"pid {os.getpid()}" in err and len(err.splitlines()) == 1
        assert predict.main([str(source), "-o", str(output), *NO_MODEL]) == 2
    finally:
        held.lock.release()
    again = prepare(output, resume=False)  # released: the next run may take it
    again.lock.release()


# --- 4/5. CSV: strict quoting, bounded records; Parquet.gz; limits -------------------------------


def test_an_unbalanced_quote_is_one_error_record_and_the_rows_after_it_are_rows(tmp_path):
    rows = ["id,text"] + [f"r{n},Row number {n}." for n in range(10)]
    rows[4] = 'r3,"Row three opens a quote and never closes it.'
    rows[7] = 'r6,"A quoted field\nthat spans two lines."'
    path = tmp_path / "in.csv"
    path.write_text("\n".join(rows) + "\n")
    got = items(path)
    assert [i.id for i in got] == [f"r{n}" if n != 3 else "in.csv:5" for n in range(10)]
    assert "quote opened here" in got[3].error
    assert got[6].article["text"] == "A quoted field\nthat spans two lines."
    assert all(i.error is None for n, i in enumerate(got) if n != 3)


def test_csv_lines_and_fields_are_bounded_like_jsonl_lines(tmp_path):
    path = tmp_path / "in.csv.gz"
    long_text = "x" * 5000
    with gzip.open(path, "wt") as handle:
        handle.write(f'id,text\nshort,Fine.\nlong,{long_text}\nquoted,"{long_text}\nmore"\nafter,Also fine.\n')
    got = list(readers.read_csv(path, readers.Skip(), readers.Progress(), limit=1000))
    assert [i.id for i in got] == ["short", "in.csv.gz:3", "in.csv.gz:4", "in.csv.gz:5", "after"]
    assert "5,006 bytes on one line" in got[1].error and "bytes on one line" in got[2].error
    assert got[3].error is not None  # the continuation line, read as a row: its quote is unbalanced too


def test_a_compressed_parquet_file_is_refused_not_inflated(tmp_path):
    path = tmp_path / "in.parquet.gz"
    path.write_bytes(gzip.compress(b"PAR1 whatever"))
    with pytest.raises(InputError, match="decompress it first"):
        Source([path])


def test_max_records_and_max_bytes_stop_the_run_with_exit_2_and_resume_goes_on(tiny_model_store, tmp_path, capsys):
    source = tmp_path / "in.jsonl.gz"
    source.write_bytes(gzip.compress(dump(tmp_path / "plain.jsonl", 50).read_bytes()))
    assert [i.id for i in Source([source], limits=Limits(records=7)).items()] == [f"a{n}" for n in range(7)]
    by_bytes = Source([source], limits=Limits(bytes=200))
    assert 2 <= len(list(by_bytes.items())) <= 5 and "--max-bytes 200" in by_bytes.stopped
    output = tmp_path / "out.jsonl"
    with tracking_store(tiny_model_store["uri"]):
        model = ["--model", tiny_model_store["model"], "--log-every", "0"]
        assert score.main([str(source), "-o", str(output), *model, "--max-records", "20", "--batch-size", "8"]) == 2
        assert "--max-records 20 reached" in capsys.readouterr().err
        assert len(lines_of(output)) == 20
        assert score.main([str(source), "-o", str(output), *model, "--resume"]) == 0
    assert [r["id"] for r in lines_of(output)] == [f"a{n}" for n in range(50)]


# --- 6. run-level failures, binary files, predict ------------------------------------------------


@pytest.mark.parametrize("case", ["under-a-file", "unwritable", "corrupt-checkpoint", "directory"])
def test_run_level_failures_exit_2_in_one_line_before_the_model_loads(tmp_path, capsys, case):
    source = dump(tmp_path / "in.jsonl", 2)
    extra = []
    if case == "under-a-file":
        (tmp_path / "file").write_text("x")
        output = tmp_path / "file" / "out.jsonl"
    elif case == "unwritable":
        output = tmp_path / "locked" / "out.jsonl"
        output.parent.mkdir()
        output.parent.chmod(0o500)
        if os.access(output.parent, os.W_OK):  # root writes anywhere: a read-only bind would be needed
            output = Path("/proc/out.jsonl")
    elif case == "directory":
        output = tmp_path / "out.jsonl"
        output.mkdir()
    else:
        output = tmp_path / "out.jsonl"
        output.write_text("{}\n")
        (tmp_path / "out.jsonl.checkpoint").write_text('{"records": 3, "offs')
        extra = ["--resume"]
    assert score.main([str(source), "-o", str(output), *NO_MODEL, *extra]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "no-such-model" not in err and "Traceback" not in err


def test_binary_files_are_error_records_and_legacy_text_is_still_read(tmp_path):
    root = tmp_path / "d"
    root.mkdir()
    noise = bytes((n * 7919 + 13) % 255 + 1 for n in range(4096))  # no NUL byte
    (root / "binary.txt").write_bytes(noise)
    (root / "latin1.txt").write_bytes("Café à la crème, déjà vu.".encode("latin-1"))
    (root / "cyrillic.txt").write_bytes("Привет, мир.".encode("cp1251"))
    by_id = {i.id: i for i in items(root)}
    assert "binary data" in by_id["binary.txt"].error
    assert by_id["latin1.txt"].error is None and by_id["cyrillic.txt"].error is None


def test_predict_reads_like_score_gz_non_objects_and_surrogate_ids(tiny_model_store, tmp_path, capsys):
    source = tmp_path / "in.jsonl.gz"
    source.write_bytes(gzip.compress(b'[1, 2]\n{"id": "\\udc80x", "text": "A text."}\n'))
    with tracking_store(tiny_model_store["uri"]):
        assert predict.main([str(source), "-o", str(tmp_path / "out.jsonl"), "--model", tiny_model_store["model"]]) == 1
    out = capsys.readouterr().out
    assert "in.jsonl.gz:1: error" in out and "\ufffdx: ok" in out


# --- 7. what gets in ---------------------------------------------------------------------------


def test_a_symlink_out_of_an_input_directory_is_an_error_record(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("The password is hunter2.")
    root = tmp_path / "d"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text("An article.")
    (root / "leak.txt").symlink_to(secret)
    (root / "sub" / "inside.txt").symlink_to(root / "a.txt")
    by_id = {i.id: i for i in items(root)}
    assert by_id["leak.txt"].article is None and "outside" in by_id["leak.txt"].error
    assert by_id["sub/inside.txt"].article["text"] == "An article."
    assert {i.id: i for i in items(root, outside_links=True)}["leak.txt"].article["text"].startswith("The password")


def test_checkpoint_loading_reports_a_corrupt_file_as_the_runs_error(tmp_path):
    checkpoint = tmp_path / "x.checkpoint"
    checkpoint.write_text("[1, 2]")
    with pytest.raises(RunError, match="is not a checkpoint"):
        outputs.load_checkpoint(checkpoint)
    assert outputs.load_checkpoint(tmp_path / "none") is None


# --- 7. model files ------------------------------------------------------------------------------


def test_load_skops_refuses_a_file_carrying_a_function_outside_the_trusted_types(tmp_path):
    import numpy as np
    import skops.io as sio
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    from classifier.models.persist import load_skops

    payload = make_pipeline(FunctionTransformer(np.vectorize(exec)))
    path = tmp_path / "crafted.skops"
    sio.dump(payload, path)
    with pytest.raises(ValueError, match="does not trust"):
        load_skops(path)


def test_the_project_models_hold_only_the_listed_types(tmp_path):
    import numpy as np
    import skops.io as sio

    from classifier.calibration import Calibrated
    from classifier.labels import LABELS
    from classifier.models.persist import TRUSTED_TYPES, load_skops
    from classifier.models.tfidf import TfidfLogReg

    texts = [f"elites planned item {n}" if n % 2 else f"weather item {n}" for n in range(40)]
    targets = np.array([[n % 2, (n // 2) % 2, 0, 1][: len(LABELS)] + [0] * (len(LABELS) - 4) for n in range(40)])
    found = set()
    for method in ("sigmoid", "isotonic"):
        model = Calibrated(TfidfLogReg().fit(texts, targets), method=method).fit(texts, targets)
        path = tmp_path / f"{method}.skops"
        sio.dump(model, path)
        found |= set(sio.get_untrusted_types(file=path))
        assert load_skops(path).predict_proba(texts[:3]).shape[0] == 3
    assert found <= TRUSTED_TYPES and "classifier.models.tfidf.TfidfLogReg" in found


def test_spark_in_local_mode_binds_to_loopback_only():
    from scoring.spark import spark_settings

    local_mode = spark_settings("local[2]", [])
    assert local_mode["spark.driver.bindAddress"] == "127.0.0.1" and local_mode["spark.driver.host"] == "127.0.0.1"
    assert local_mode["spark.ui.enabled"] == "false"
    assert "spark.driver.bindAddress" not in spark_settings("spark://cluster:7077", [])


# --- 7. REST -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rest_app():
    """The serving app around an in-memory model (NaN for texts holding "nan"), on a free loopback port."""
    import socket
    import threading
    import time

    import numpy as np
    import pandas as pd
    import uvicorn

    from scoring.serve import make_app

    def predict(frame):
        values = [[np.nan if "nan" in t else len(t) / 100, 0.25] for t in frame["text"]]
        return pd.DataFrame(values, columns=["a", "b"])

    scorer = Scorer(predict, ["a", "b"], {"a": 0.5, "b": 0.5}, "in-memory")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(make_app(scorer, max_request_bytes=4096, max_rows=5), port=port, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def _call(url: str, body: bytes, kind: str = "application/json") -> tuple[int, bytes]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=body, headers={"Content-Type": kind})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"dataframe_split": {"columns": ["text"], "data": [[1.5], ["x"]]}}, 400, "row 0: 'text' must be a string"),
        ({"dataframe_records": [{"text": None}]}, 400, "must be a string, got NoneType"),
        ({"inputs": ["fine", "with \x00 NUL"]}, 400, "row 1: 'text' contains NUL"),
        ({"inputs": ["t"] * 6}, 413, "the limit is 5"),
        ({"inputs": ["x" * 5000]}, 413, "over 4,096 bytes"),
        ({"something": 1}, 400, "expected dataframe_split"),
    ],
)
def test_rest_refuses_what_the_model_must_not_see(rest_app, body, status, message):
    code, answer = _call(f"{rest_app}/invocations", json.dumps(body).encode())
    assert code == status and message in json.loads(answer)["message"]


def test_rest_answers_strict_json_with_null_for_nan(rest_app):
    body = {"dataframe_split": {"columns": ["text"], "data": [["fifty"], ["a nan here"]]}}
    code, answer = _call(f"{rest_app}/invocations", json.dumps(body).encode())
    assert code == 200 and b"NaN" not in answer
    assert json.loads(answer) == {"predictions": [{"a": 0.05, "b": 0.25}, {"a": None, "b": 0.25}]}
    assert _call(f"{rest_app}/invocations", b"{not json")[0] == 400
    assert _call(f"{rest_app}/invocations", b"text", kind="text/plain")[0] == 415


# --- 8. configs and data -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "params", "message"),
    [
        ("tfidf_logreg", {"max_features": -5}, "model.params.max_features: must be > 0, got -5"),
        ("tfidf_logreg", {"C": -1}, "model.params.C: must be > 0"),
        ("tfidf_logreg", {"char_ngram_min": 6}, "char_ngram_min (6) is above char_ngram_max"),
        ("ensemble", {"members": 42}, "model.params.members: expected a list of experiment names, got 42"),
        ("ensemble", {"members": ["a"], "weights": [-1]}, "model.params.weights"),
        ("transformer", {"warmup_ratio": 1.5}, "warmup_ratio: must be in [0, 1)"),
        ("transformer", {"max_steps": -1}, "max_steps: must be >= 0"),
    ],
)
def test_config_values_out_of_range_fail_at_load_with_the_key_and_file(tmp_path, kind, params, message):
    import yaml

    from training.config import ConfigError, load_config

    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"model": {"kind": kind, "params": params}}))
    with pytest.raises(ConfigError) as caught:
        load_config(str(path))
    assert message in str(caught.value) and str(path) in str(caught.value)


def test_every_shipped_experiment_is_in_range():
    from training.config import EXPERIMENTS_DIR, load_config

    for path in EXPERIMENTS_DIR.glob("*.yaml"):
        load_config(str(path))


def test_make_data_with_a_corpora_dir_holding_no_corpus_fails_and_keeps_the_table(tmp_path, capsys):
    from data import build

    out = tmp_path / "build"
    out.mkdir()
    (out / "paragraphs.parquet").write_bytes(b"the real table")
    assert build.main(["--corpora", str(tmp_path / "mistyped"), "--out", str(out)]) == 2
    assert (out / "paragraphs.parquet").read_bytes() == b"the real table"
    assert "No corpus found" in capsys.readouterr().err
