"""The dump scorer: readers, malformed input, resume after a kill, the CLI, the Spark engine and REST serving.

Every test text is invented here; the model is a tiny TF-IDF model trained into a temporary store.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from classifier import articles
from classifier.articles import MAX_TEXT_CHARS, Scorer, score_articles
from classifier.store import REPO_ROOT
from scoring import local, outputs, progress, readers, score
from scoring.readers import InputError, Source, html_to_text
from scoring.records import Summary
from tests.conftest import tracking_store, wait_for_ping
from training import bench

PHRASES = [
    "Secret elites planned the crisis from the start.",
    "The city council approved the budget on Monday.",
    "The West wants to destroy our country and its values.",
    "Foreign-funded NGOs are preparing a colour revolution.",
    "Rain is expected in the north at the weekend.",
    "State media accused Western embassies of meddling, a claim fact-checkers found no evidence for.",
]


def invented_article(number: int) -> dict:
    """An article made of the phrases above, varied by its number; some have a title, some CRLF breaks."""
    picked = [PHRASES[(number * 7 + k) % len(PHRASES)] for k in range(1 + number % 4)]
    article = {"id": f"art-{number}", "text": ("\r\n\r\n" if number % 3 else "\n").join(picked)}
    if number % 2:
        article["title"] = f"Report number {number}"
    return article


def write_jsonl(path: Path, lines: list) -> Path:
    """Lines: dicts are JSON-encoded, bytes written as they are."""
    with path.open("wb") as handle:
        for line in lines:
            handle.write((json.dumps(line).encode() if isinstance(line, dict) else line) + b"\n")
    return path


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def summary_of(items) -> list[tuple]:
    return [(item.id, item.error, item.article) for item in items]


@pytest.fixture(scope="module")
def scorer(tiny_model_store) -> Scorer:
    with tracking_store(tiny_model_store["uri"]):
        return Scorer.from_mlflow(tiny_model_store["model"])


def cli_env(store: dict) -> dict:
    return {**os.environ, "MLFLOW_TRACKING_URI": store["uri"], "MLFLOW_DISABLE_TELEMETRY": "true"}


# --- readers -----------------------------------------------------------------------------------


def test_jsonl_reader_gives_one_item_per_record_with_stable_ids(tmp_path):
    path = write_jsonl(
        tmp_path / "dump.jsonl",
        [
            b"\xef\xbb\xbf" + json.dumps({"id": "a", "text": "With a byte order mark."}).encode(),
            b"",
            b"   ",
            b"{not json",
            b'{"id": "latin", "text": "caf\xe9"}',
            b"[1, 2]",
            {"id": None, "text": "A null id."},
            {"text": "No id."},
            b'{"id": "raw-nul", "text": "a\x00b"}',
        ],
    )
    items = list(Source([path]).items())
    assert [item.id for item in items] == [
        "a",
        "dump.jsonl:4",
        "dump.jsonl:5",
        "dump.jsonl:6",
        "dump.jsonl:7",
        "dump.jsonl:8",
        "dump.jsonl:9",
    ]
    errors = [item.error for item in items]
    assert errors[0] is None and items[0].article["text"] == "With a byte order mark."
    assert errors[1].startswith("line 4: not valid JSON")
    assert errors[2] == "line 5: not valid UTF-8 (byte 0xe9 at offset 28)"
    assert errors[3] == "line 6: record must be a JSON object, got list"
    assert errors[4] is None and errors[5] is None
    assert errors[6].startswith("line 9: not valid JSON: Invalid control character")


def test_an_over_long_line_is_measured_not_kept():
    stream = io.BytesIO(b"short\n" + b"x" * 100 + b"\nafter\n" + b"y" * 60)
    assert list(readers._lines(stream, limit=50)) == [
        (1, b"short\n", 0),
        (2, b"", 101),
        (3, b"after\n", 0),
        (4, b"", 60),
    ]
    item = readers.parse_jsonl_line(b"", "big.jsonl", 2, 101)
    assert item.id == "big.jsonl:2" and "101 bytes; the limit is" in item.error


def test_csv_reader_handles_quoted_lines_bad_bytes_and_gzip(tmp_path):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["id", "title", "text"])
    writer.writerow(["c1", "", "One line."])
    writer.writerow(["", "Titled", "First paragraph.\nSecond paragraph."])
    writer.writerow(["c3", "", "placeholder"])
    writer.writerow(["c4", "", "x", "extra"])
    data = buffer.getvalue().encode().replace(b"placeholder", b"caf\xe9")
    plain = tmp_path / "dump.csv"
    plain.write_bytes(data)
    zipped = tmp_path / "dump2.csv.gz"
    zipped.write_bytes(gzip.compress(data))
    items = list(Source([plain]).items())
    assert [item.id for item in items] == ["c1", "dump.csv:3", "dump.csv:5", "dump.csv:6"]
    assert items[0].article == {"id": "c1", "title": None, "text": "One line."}
    assert items[1].article["text"] == "First paragraph.\nSecond paragraph." and items[1].article["title"] == "Titled"
    assert items[2].error == "line 5: not valid UTF-8"
    assert items[3].error == "line 6: 4 fields but the header has 3"
    unzipped = list(Source([zipped]).items())
    assert [i.id for i in unzipped][1] == "dump2.csv.gz:3"
    assert [(i.error, i.article and i.article["text"]) for i in unzipped] == [
        (i.error, i.article and i.article["text"]) for i in items
    ]


def test_parquet_reader_numbers_rows_and_decodes_binary_text(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "id": ["p1", None, "p3", None],
            "text": [b"Plain text.", b"No id.", b"caf\xe9", None],
            "url": ["https://example.org/1", None, None, None],
        }
    )
    path = tmp_path / "dump.parquet"
    pq.write_table(table, path, row_group_size=2)
    items = list(Source([path]).items())
    assert [item.id for item in items] == ["p1", "dump.parquet:2", "p3", "dump.parquet:4"]
    assert items[0].article == {"id": "p1", "text": "Plain text.", "url": "https://example.org/1"}
    assert items[2].error == "row 3: 'text' is not valid UTF-8"
    assert items[3].article == {"id": "dump.parquet:4"}  # no text: score_articles reports it missing


def test_directory_reader_extracts_html_and_never_drops_a_file(tmp_path):
    root = tmp_path / "pages"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text("First line.\nSecond line.\n")
    (root / "sub" / "b.html").write_text(
        "<html><head><title>A  page</title><style>p {color: red}</style><script>var x = 1;</script></head>"
        "<body><header>Site name</header><nav><a href='/'>Home</a></nav>"
        "<article><h1>Headline</h1><p>Body &amp; soul,<br>next line.</p><aside>Related</aside></article>"
        "<footer>Copyright</footer></body></html>"
    )
    (root / "c.txt.gz").write_bytes(gzip.compress(b"Compressed text."))
    (root / "legacy.txt").write_bytes("Caf\xe9 cr\xe8me in a legacy encoding.".encode("cp1252"))
    (root / "broken.txt.gz").write_bytes(b"not gzip at all")
    (root / "dead.txt").symlink_to(root / "missing.txt")
    (root / "notes.pdf").write_bytes(b"%PDF")
    (root / ".hidden.txt").write_text("hidden")
    items = list(Source([root]).items())
    assert [item.id for item in items] == ["a.txt", "broken.txt.gz", "c.txt.gz", "dead.txt", "legacy.txt", "sub/b.html"]
    by_id = {item.id: item for item in items}
    assert by_id["sub/b.html"].article == {  # the main text (trafilatura): blocks and lines as paragraphs
        "id": "sub/b.html",
        "title": "Headline",
        "text": "Headline\n\nBody & soul,\n\nnext line.",
        "extractor": "trafilatura",
    }
    assert by_id["c.txt.gz"].article["text"] == "Compressed text."
    assert by_id["legacy.txt"].article["text"] == "Caf\ufffd cr\ufffdme in a legacy encoding."
    assert "cannot read" in by_id["broken.txt.gz"].error and "cannot read" in by_id["dead.txt"].error


def test_html_to_text_separates_blocks_by_blank_lines():
    title, text = html_to_text("<p>One</p><p>Two <b>bold</b><br/>broken</p><ul><li>Item</li></ul><script>x()</script>")
    assert title is None and text == "One\n\nTwo bold\nbroken\n\nItem"


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet", "dir"])
def test_skipping_on_resume_matches_slicing(tmp_path, fmt):
    articles = [invented_article(n) for n in range(9)]
    if fmt == "jsonl":
        path = write_jsonl(tmp_path / "d.jsonl", [articles[0], b"", b"{bad", *articles[1:]])
    elif fmt == "csv":
        path = tmp_path / "d.csv"
        pd.DataFrame(articles).to_csv(path, index=False)
    elif fmt == "parquet":
        path = tmp_path / "d.parquet"
        pd.DataFrame(articles).to_parquet(path, row_group_size=4)
    else:
        path = tmp_path / "d"
        path.mkdir()
        for article in articles:
            (path / f"{article['id']}.txt").write_text(article["text"])
    everything = summary_of(Source([path, path]).items())
    for skip in (0, 1, 3, 4, 9, 11, len(everything)):
        assert summary_of(Source([path, path]).items(skip=skip)) == everything[skip:]


def test_inputs_that_cannot_be_read_at_all_are_refused(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        Source([tmp_path / "missing.jsonl"])
    (tmp_path / "dump.xml").write_text("<x/>")
    with pytest.raises(InputError, match="pass --format"):
        Source([tmp_path / "dump.xml"])
    assert Source([tmp_path / "dump.xml"], "jsonl").formats == ["jsonl"]


def test_chunks_end_at_the_batch_size_or_the_character_budget():
    items = [readers.Item(n, article={"id": n, "text": "x" * size}) for n, size in enumerate([5, 5, 5, 20, 1, 1])]
    assert [[i.id for i in c] for c in local.chunks(items, batch_size=3, max_chars=12)] == [[0, 1], [2], [3], [4, 5]]
    assert [len(c) for c in local.chunks(items, batch_size=2)] == [2, 2, 2]


def test_progress_is_a_bar_on_a_terminal_and_log_lines_otherwise():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    clock = iter([0.0, 0.0, 1.0, 2.0])  # start, then three chunks a second apart
    fraction = iter([0.0, 0.25, 0.5])
    bar = progress.Reporter(Terminal(), lambda: next(fraction), clock=lambda: next(clock))
    for read in (250, 500, 1000):  # the first chunk only sets the ETA's baseline (a resume skips first)
        bar.update(Summary(read=read))
    bar.close()
    shown = bar.stream.getvalue().split("\r")
    assert shown[1].startswith("[#####---------------]  25.0% 500 articles 500/s ETA 0:00:03 errors 0")
    assert shown[2].startswith("[##########----------]  50.0% 1,000 articles 500/s ETA 0:00:02") and shown[2].endswith(
        "\n"
    )
    plain = progress.Reporter(io.StringIO(), lambda: None, every=0)
    plain.update(Summary(read=7, ok=6, error=1))
    assert plain.stream.getvalue().startswith("score: 7 records (6 ok, 0 empty, 1 error)")


def test_progress_is_redrawn_while_a_chunk_is_scored():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    now = [0.0]
    bar = progress.Reporter(Terminal(), lambda: 0.5, clock=lambda: now[0])
    assert list(bar.counting([[1] * 256])) == [[1] * 256]  # 256 articles taken for scoring
    now[0] = 3.0
    bar.tick()
    assert bar.stream.getvalue().endswith("0 articles 0/s  errors 0 (scoring 256 more for 3 s)  ")
    now[0] = 3.6
    bar.update(Summary(read=256))
    drawn = bar.stream.getvalue()
    now[0] = 9.0
    bar.tick()  # nothing in flight: nothing to redraw
    assert bar.stream.getvalue() == drawn
    assert "(scoring" not in drawn.split("\r")[-1]  # the longer heartbeat line is blanked out

    now[0] = 0.0
    log = progress.Reporter(io.StringIO(), lambda: None, every=30, clock=lambda: now[0])
    list(log.counting([[1] * 10]))
    now[0] = 20.0
    log.tick()
    assert log.stream.getvalue() == ""  # a log gets a line every `every` seconds, not every tick
    now[0] = 31.0
    log.tick()
    assert log.stream.getvalue().endswith("of input, ETA ?; scoring 10 more for 31 s\n")


class SlowScorer:
    """Takes ``seconds`` for each call of the model, as a transformer does on a big chunk."""

    def __init__(self, scorer: Scorer, seconds: float):
        self.scorer, self.seconds = scorer, seconds

    def __call__(self, frame):
        time.sleep(self.seconds)
        return self.scorer.predict_frame(frame)


@pytest.mark.parametrize("workers", [1, 2])
def test_the_bar_moves_during_a_long_chunk_and_the_output_is_the_same(scorer, tmp_path, workers):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    dump = write_jsonl(tmp_path / "dump.jsonl", [invented_article(n) for n in range(40)])
    quick = tmp_path / "quick.jsonl"
    local.run([dump], quick, scorer, log=io.StringIO())
    slow = Scorer(SlowScorer(scorer, 2.6), scorer.columns, scorer.thresholds, scorer.name, scorer.languages)
    terminal = Terminal()
    local.run([dump], tmp_path / "slow.jsonl", slow, log=terminal, workers=workers)  # one chunk of 40
    assert (tmp_path / "slow.jsonl").read_bytes() == quick.read_bytes()
    beats = [line for line in terminal.getvalue().split("\r") if "(scoring 40 more for" in line]
    assert len(beats) >= 2, terminal.getvalue()  # redrawn about every second while the chunk is scored


# --- scoring in process ------------------------------------------------------------------------


HUGE = "A long sentence about foreign agents. " * (10_000_000 // 38)  # a 10 MB article


def messy_dump(path: Path) -> Path:
    return write_jsonl(
        path,
        [
            {
                "id": "ok",
                "title": "Who is behind it?",
                "text": "Secret elites planned the crisis.\r\n\r\nThe council met.",
            },
            {"id": "empty", "text": "   \n\n"},
            {"id": "number", "text": 42},
            {"id": "missing"},
            b"{not json",
            b'{"id": "latin", "text": "caf\xe9"}',
            {"id": "nul", "text": "before\x00after"},
            {"id": "huge", "text": HUGE},
            {"id": "fffd", "text": "Mixed \ufffd\ufffd encodings: the West wants to destroy us."},
            {"id": "surrogate", "text": "A lone \udc80 surrogate from a JSON escape."},
            {"text": "No id here."},
        ],
    )


def test_malformed_records_become_error_records_and_the_run_goes_on(scorer, tmp_path):
    dump = messy_dump(tmp_path / "messy.jsonl")
    output = tmp_path / "out.jsonl"
    total, this_run = local.run([dump], output, scorer, batch_size=4, log=io.StringIO())
    out = records(output)
    assert [r["id"] for r in out] == [
        "ok",
        "empty",
        "number",
        "missing",
        "messy.jsonl:5",
        "messy.jsonl:6",
        "nul",
        "huge",
        "fffd",
        "surrogate",
        "messy.jsonl:11",
    ]
    status = {r["id"]: r["status"] for r in out}
    assert [status[k] for k in ("ok", "empty", "fffd", "surrogate", "messy.jsonl:11")] == [
        "ok",
        "empty",
        "ok",
        "ok",
        "ok",
    ]
    errors = {r["id"]: r["error"] for r in out if r["status"] == "error"}
    assert errors == {
        "number": "'text' must be a string, got int",
        "missing": "missing 'text' (the record's fields: id)",
        "messy.jsonl:5": errors["messy.jsonl:5"],
        "messy.jsonl:6": "line 6: not valid UTF-8 (byte 0xe9 at offset 28)",
        "nul": "'text' contains NUL bytes",
        "huge": f"'text' has {len(HUGE):,} characters; the limit is {MAX_TEXT_CHARS:,}",
    }
    assert errors["messy.jsonl:5"].startswith("line 5: not valid JSON")
    assert (total.read, total.ok, total.empty, total.error) == (11, 4, 1, 6)
    assert (total.read, total.flagged, total.paragraphs) == (this_run.read, this_run.flagged, this_run.paragraphs)
    assert set(total.flagged) == set(scorer.columns)

    # The record is score_articles' own, with the full paragraph list dropped and nothing else changed.
    first = json.loads(dump.read_bytes().splitlines()[0])
    expected = {k: v for k, v in score_articles([first], scorer)[0].items() if k != "paragraphs"}
    assert out[0] == json.loads(json.dumps(expected))
    assert "paragraphs" not in out[0] and "evidence" in out[0]
    for item in out[0]["evidence"]:
        source = first["title"] if item["field"] == "title" else first["text"]
        assert item["snippet"] == source[item["start"] : item["end"]][: articles.SNIPPET_CHARS]


def test_exit_status_says_whether_records_or_the_run_failed(tiny_model_store, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", tiny_model_store["uri"])
    clean = write_jsonl(tmp_path / "clean.jsonl", [invented_article(n) for n in range(5)])
    messy = write_jsonl(tmp_path / "messy.jsonl", [invented_article(1), b"{bad"])
    model = ["--model", tiny_model_store["model"], "--log-every", "0"]
    assert score.main([str(clean), "-o", str(tmp_path / "a.jsonl"), *model]) == 0
    shown = capsys.readouterr()
    assert "5 records read, 5 ok, 0 empty, 0 error" in shown.out
    loading, loaded = shown.err.splitlines()[:2]  # the model's loading is announced, then timed
    assert loading == f"score: loading the model {tiny_model_store['model']} ..."
    assert loaded.startswith("score: loaded narrative-classifier/1 in ") and loaded.endswith(" s")
    assert score.main([str(messy), "-o", str(tmp_path / "b.jsonl"), *model]) == 1
    assert score.main([str(tmp_path / "nothing.jsonl"), "-o", str(tmp_path / "c.jsonl"), *model]) == 2
    assert "no such file" in capsys.readouterr().err
    # A checkpoint written for other inputs is not resumed from.
    assert score.main([str(messy), "-o", str(tmp_path / "a.jsonl"), "--resume", *model]) == 2
    assert "written for another run" in capsys.readouterr().err
    # A complete output resumes to nothing, with the same summary and status.
    before = (tmp_path / "a.jsonl").read_bytes()
    assert score.main([str(clean), "-o", str(tmp_path / "a.jsonl"), "--resume", *model]) == 0
    assert (tmp_path / "a.jsonl").read_bytes() == before and "nothing to resume" in capsys.readouterr().err
    assert score.main([str(clean), "-o", str(tmp_path / "d.jsonl"), "--model", "models:/no-such-model/1"]) == 2


class SimulatedKill(Exception):
    pass


def _raise(phase):
    raise SimulatedKill(phase)


@pytest.mark.parametrize(
    "kills",
    [
        [(1, "torn")],
        [(2, "written")],
        [(3, "committed")],
        [(4, "torn"), (2, "written")],  # killed again while resuming
        [(1, "committed"), (1, "committed"), (3, "torn")],
    ],
)
def test_resume_after_a_kill_at_any_point_gives_the_uninterrupted_output(scorer, tmp_path, monkeypatch, kills):
    """In process: the crash hook raises where kill -9 would strike (the subprocess test really kills)."""
    articles = [invented_article(n) for n in range(40)]
    dump = write_jsonl(tmp_path / "dump.jsonl", [*articles[:10], b"{bad", b"", *articles[10:]])
    reference = tmp_path / "reference.jsonl"
    local.run([dump], reference, scorer, batch_size=6, log=io.StringIO())
    monkeypatch.setattr(outputs, "_die", _raise)
    output = tmp_path / "out.jsonl"
    for number, (chunk, phase) in enumerate(kills):
        monkeypatch.setenv(outputs.CRASH_ENV, f"{chunk}:{phase}")
        with pytest.raises(SimulatedKill):
            local.run([dump], output, scorer, batch_size=6, resume=number > 0, log=io.StringIO())
    monkeypatch.delenv(outputs.CRASH_ENV)
    checkpoint = output.with_name(output.name + ".checkpoint")
    done = json.loads(checkpoint.read_text())["records"] if checkpoint.exists() else 0
    total, this_run = local.run([dump], output, scorer, batch_size=6, resume=True, log=io.StringIO())
    assert output.read_bytes() == reference.read_bytes()
    assert (total.read, total.error) == (41, 1) and this_run.read == 41 - done


def test_parquet_output_is_resumable_part_by_part(scorer, tmp_path, monkeypatch):
    articles = [invented_article(n) for n in range(50)]
    dump = write_jsonl(tmp_path / "dump.jsonl", [*articles[:20], b"{bad", *articles[20:]])
    reference = tmp_path / "reference.jsonl"
    local.run([dump], reference, scorer, batch_size=7, log=io.StringIO())
    monkeypatch.setattr(outputs, "_die", _raise)
    monkeypatch.setenv(outputs.CRASH_ENV, "5:committed")
    output = tmp_path / "out.parquet"
    with pytest.raises(SimulatedKill):
        local.run([dump], output, scorer, batch_size=7, log=io.StringIO(), part_records=10)
    assert sorted(p.name for p in output.glob("part-*")) == ["part-00000.parquet", "part-00001.parquet"]
    monkeypatch.delenv(outputs.CRASH_ENV)
    local.run([dump], output, scorer, batch_size=7, resume=True, log=io.StringIO(), part_records=10)
    table = pd.read_parquet(output)
    expected = records(reference)
    assert table["id"].tolist() == [str(r["id"]) for r in expected]
    assert table["status"].tolist() == [r["status"] for r in expected]
    for row, record in zip(table.to_dict("records"), expected):
        assert dict(row["scores"]) == record["scores"] and dict(row["flags"]) == record["flags"]
        assert [e["snippet"] for e in row["evidence"]] == [e["snippet"] for e in record["evidence"]]
    assert json.loads((output / "_checkpoint.json").read_text())["complete"] is True


# --- the CLI in a subprocess: 1,000 articles, and a real kill -9 --------------------------------


def test_cli_scores_1000_articles_and_resumes_after_kill_9(tiny_model_store, scorer, tmp_path):
    articles = [invented_article(n) for n in range(1000)]
    for article in articles[::97]:
        article.pop("id")
    dump = write_jsonl(tmp_path / "dump.jsonl", articles)
    reference = tmp_path / "reference.jsonl"
    local.run([dump], reference, scorer, batch_size=5, log=io.StringIO())  # in process: never interrupted

    command = [
        sys.executable,
        "-m",
        "scoring.score",
        str(dump),
        "-o",
        str(tmp_path / "out.jsonl"),
        "--model",
        tiny_model_store["model"],
        "--batch-size",
        "5",
    ]
    env = cli_env(tiny_model_store)
    output = tmp_path / "out.jsonl"
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if output.exists() and output.stat().st_size > 20_000:
            break
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL
    checkpoint = json.loads(output.with_name("out.jsonl.checkpoint").read_text())
    assert 0 < checkpoint["records"] < 1000 and not checkpoint["complete"]

    resumed = subprocess.run(
        [*command, "--resume", "--log-every", "0"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"resuming {output} after {checkpoint['records']:,} records" in resumed.stderr
    assert "score: " in resumed.stderr.split("records\n", 1)[1]  # stderr is not a terminal: plain log lines
    assert "1,000 records read, 1,000 ok, 0 empty, 0 error" in resumed.stdout
    assert output.read_bytes() == reference.read_bytes()
    out = records(output)
    assert [r["id"] for r in out[:3]] == ["dump.jsonl:1", "art-1", "art-2"] and len(out) == 1000
    assert [r["id"] for r in out if str(r["id"]).startswith("dump")] == [
        f"dump.jsonl:{n + 1}" for n in range(0, 1000, 97)
    ]


@pytest.mark.slow
@pytest.mark.parametrize("point", ["3:torn", "7:written", "12:committed"])
def test_cli_killed_by_itself_at_chosen_points_resumes_exactly(tiny_model_store, tmp_path, scorer, point):
    dump = write_jsonl(tmp_path / "dump.jsonl", [invented_article(n) for n in range(100)])
    reference = tmp_path / "reference.jsonl"
    local.run([dump], reference, scorer, batch_size=5, log=io.StringIO())
    command = [
        sys.executable,
        "-m",
        "scoring.score",
        str(dump),
        "-o",
        str(tmp_path / "out.jsonl"),
        "--model",
        tiny_model_store["model"],
        "--batch-size",
        "5",
    ]
    killed = subprocess.run(
        command,
        cwd=REPO_ROOT,
        env={**cli_env(tiny_model_store), outputs.CRASH_ENV: point},
        capture_output=True,
        timeout=300,
    )
    assert killed.returncode == -signal.SIGKILL
    resumed = subprocess.run(
        [*command, "--resume"], cwd=REPO_ROOT, env=cli_env(tiny_model_store), capture_output=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert (tmp_path / "out.jsonl").read_bytes() == reference.read_bytes()


# --- Spark, local mode -------------------------------------------------------------------------


def test_spark_engine_writes_the_local_engines_records(tiny_model_store, scorer, tmp_path):
    jsonl = write_jsonl(
        tmp_path / "dump.jsonl",
        [
            invented_article(1),
            b"",
            invented_article(2),
            b"{not json",
            b'{"id": "latin", "text": "caf\xe9"}',
            {"text": "No id, so file and line."},
            {"id": 7, "text": ""},
        ],
    )
    parquet = tmp_path / "more.parquet"
    pd.DataFrame(
        [invented_article(n) for n in range(3, 6)] + [{"id": None, "text": "No id in Parquet.", "title": None}]
    ).to_parquet(parquet)
    binary = tmp_path / "binary.parquet"
    pd.DataFrame({"id": [10, 11], "text": [PHRASES[0].encode(), b"caf\xe9"]}).to_parquet(binary)
    local_out = tmp_path / "local.jsonl"
    local.run([jsonl, parquet, binary], local_out, scorer, log=io.StringIO())

    output = tmp_path / "spark.jsonl"
    command = [
        sys.executable,
        "-m",
        "scoring.score",
        str(jsonl),
        str(parquet),
        str(binary),
        "-o",
        str(output),
        "--engine",
        "spark",
        "--model",
        tiny_model_store["model"],
    ]
    env = {
        **cli_env(tiny_model_store),
        "PYTHONPATH": str(REPO_ROOT),
    }  # run elsewhere: executors get the package shipped
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr[-3000:]  # three records are errors
    assert "12 records read, 8 ok, 1 empty, 3 error" in result.stdout
    parts = sorted(output.glob("part-*"))
    assert b"".join(p.read_bytes() for p in parts) == local_out.read_bytes()
    marks = [what.split()[0] for what, _ in bench.SPARK_LINE.findall(result.stderr)]  # the lines make bench times
    assert marks == ["session", "written"], result.stderr[-2000:]


# --- REST --------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _post(url: str, payload: dict) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def test_rest_server_scores_a_batch_in_order(tiny_model_store, scorer, tmp_path):
    port = _free_port()
    bin_dir = Path(sys.executable).parent
    env = {
        **cli_env(tiny_model_store),
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    command = [sys.executable, "-m", "scoring.serve", "--model", tiny_model_store["model"], "--host", "127.0.0.1",
               "--port", str(port)]  # fmt: skip
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_ping(server, base, tmp_path / "serve.log", "the server did not start", interval=0.3)
        texts = [PHRASES[n % len(PHRASES)] + f" ({n})" for n in range(25)] + ["", "Mixed \ufffd encodings."]
        answer = _post(f"{base}/invocations", {"dataframe_split": {"columns": ["text"], "data": [[t] for t in texts]}})
        expected = scorer.predict_frame(pd.DataFrame({"text": texts}))
        predictions = pd.DataFrame(answer["predictions"])
        assert len(predictions) == len(texts)
        assert list(predictions.columns) == list(expected.columns)
        pd.testing.assert_frame_equal(predictions, expected.reset_index(drop=True), check_dtype=False)
        records_answer = _post(f"{base}/invocations", {"dataframe_records": [{"text": t} for t in texts[:3]]})
        assert pd.DataFrame(records_answer["predictions"]).equals(predictions.iloc[:3])
    finally:
        group = server.pid  # start_new_session: the server leads its own process group
        os.killpg(group, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(group, signal.SIGKILL)
            server.wait(timeout=10)
        log.close()
    deadline = time.monotonic() + 15
    while True:  # no orphans: every process of the server's group has gone
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            break
        if time.monotonic() > deadline:
            os.killpg(group, signal.SIGKILL)
            pytest.fail("server processes outlived SIGTERM")
        time.sleep(0.2)


def test_ensemble_member_named_by_experiment_resolves_to_its_newest_finished_run(tiny_model_store):
    from mlflow import MlflowClient

    from classifier.models.ensemble import Ensemble
    from training.members import load_members, resolve_member

    with tracking_store(tiny_model_store["uri"]):
        run_id = MlflowClient().get_model_version("narrative-classifier", "1").run_id
        assert resolve_member("experiment:tiny") == f"runs:/{run_id}/model"
        assert resolve_member("models:/narrative-classifier/1") == "models:/narrative-classifier/1"
        with pytest.raises(ValueError, match="make train EXP=missing"):
            resolve_member("experiment:missing")
        members = load_members(["experiment:tiny", tiny_model_store["model"]])
    assert [name for name, _ in members] == [f"runs:/{run_id}/model", tiny_model_store["model"]]
    ensemble = Ensemble(targets=members[0][1].targets, members=members).fit()
    probs = ensemble.predict_proba(["The deep state planned it in secret."])
    assert probs.shape == (1, len(members[0][1].targets)) and np.allclose(
        probs, members[0][1].predict_proba(["The deep state planned it in secret."])
    )

    texts = [p for p in PHRASES] * 2
    y = np.array(
        [
            [float("secret" in t.lower() or "plan" in t.lower()), float("foreign" in t.lower() or "west" in t.lower())]
            for t in texts
        ]
    )
    chosen = Ensemble(members=members, weights="dev").fit(dev=(texts, y))
    assert chosen.weights_.shape == (2, 2) and np.allclose(chosen.weights_.sum(axis=1), 1.0)
    loaded = Ensemble.load(chosen.save(tiny_model_store["tmp"] / "ensemble"))
    assert [name for name, _ in loaded.members] == [name for name, _ in members]
    assert np.allclose(loaded.weights_, chosen.weights_) and np.allclose(
        loaded.predict_proba(texts), chosen.predict_proba(texts)
    )


MESSY = (
    b'\xef\xbb\xbf{"id": "bom", "text": "A line after a byte order mark."}\n'
    b'{"text": "bad \\udc80 escape", "title": "t\\ud800"}\n'
    b"not json\n"
    b"\n"
    b'["a list"]\n'
    b'{"id": "no-text"}\n'
    b'{"text": "caf\xe9 in Latin-1"}\n'
    b'{"id": 7, "text": "Secret elites planned it.\\n\\nRain on Monday.", "title": 5}\n'
)


def test_predict_and_score_give_the_same_records_for_the_same_messy_file(
    tiny_model_store, tmp_path, monkeypatch, capsys
):
    from scoring import predict

    monkeypatch.setenv("MLFLOW_TRACKING_URI", tiny_model_store["uri"])
    messy = tmp_path / "in.jsonl"
    messy.write_bytes(MESSY)
    model = ["--model", tiny_model_store["model"]]
    assert predict.main([str(messy), "-o", str(tmp_path / "predict.jsonl"), *model]) == 1
    assert score.main([str(messy), "-o", str(tmp_path / "score.jsonl"), *model, "--log-every", "0"]) == 1
    by_predict = (tmp_path / "predict.jsonl").read_text(encoding="utf-8")
    assert by_predict == (tmp_path / "score.jsonl").read_text(encoding="utf-8")
    records = [json.loads(line) for line in by_predict.splitlines()]
    assert [r["id"] for r in records] == ["bom", "in.jsonl:2", "in.jsonl:3", "in.jsonl:5", "no-text", "in.jsonl:7", 7]
    assert [r["status"] for r in records] == ["ok", "ok", "error", "error", "error", "error", "error"]
    assert "in.jsonl:3: error" in capsys.readouterr().out


def test_predict_leaves_the_output_alone_when_the_input_is_missing(tmp_path, capsys):
    from scoring import predict

    output = tmp_path / "out.jsonl"
    output.write_text("kept\n")
    assert predict.main([str(tmp_path / "missing.jsonl"), "-o", str(output), "--model", "models:/none/1"]) == 2
    assert output.read_text() == "kept\n" and "no such file" in capsys.readouterr().err
