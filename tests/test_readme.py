"""The README's shell commands, run as a user runs them after `make all`, each checked for its exit status
and for what it says it makes.

`make all` is done by the fixture, its first steps (`make all ALL_EXPS=baseline`), on what a fresh clone
has: the project's own sample table (`make data SAMPLE=1`: the corpora are not distributed), the
`baseline` experiment of experiments/ as it is, trained on it, registered and promoted (`make train`,
`make promote`) into a temporary store; the order of the steps is tests/test_docs.py's. The
commands then run in a temporary directory, so their relative paths are its own: `python` is the
interpreter running these tests, `make` reads the repository's Makefile (`-f`, with `-o .venv/.installed`:
the environment is not rebuilt) and MLFLOW_TRACKING_URI points at the temporary store. Nothing is
downloaded. Every command of the README's shell blocks is run here or skipped in SKIPPED with its
reason; a command added to the README fails the first test until it is one or the other.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from classifier.store import REPO_ROOT
from tests.conftest import sample_experiment, tracking_store, wait_for_ping
from tests.test_mlflow_ui import free_port

README = (REPO_ROOT / "README.md").read_text()
EXAMPLES = REPO_ROOT / "examples" / "articles.jsonl"
PAGES = Path(__file__).parent / "fixtures" / "pages"

PREDICT = (
    ".venv/bin/python -m scoring.predict articles.jsonl -o scores.jsonl [--model models:/narrative-classifier@champion]"
)
SCORE = (
    "python -m scoring.score INPUT... -o OUTPUT [--model URI] [--batch-size N] [--resume] "
    "[--format jsonl|csv|parquet|dir] [--engine local|spark] [--spark-master URL] [--spark-conf KEY=VALUE]"
)
MAKE_SCORE = 'make score IN="dumps/2024-05.jsonl.gz dumps/pages/" OUT=output/2024-05.jsonl'
SCORE_DUMP = "python -m scoring.score dump.jsonl.gz -o scores.jsonl"
RESUME = "python -m scoring.score dump.jsonl.gz -o scores.jsonl --resume"
SPARK = "python -m scoring.score dump.jsonl.gz more.parquet -o scores_spark.jsonl --engine spark"
SERVE = "make serve"
CURL = "curl -s http://127.0.0.1:5001/"  # the REST calls: every command starting so
PROMOTE = "make promote"
COMPARE = "make compare"
REPORT = (
    "python -m scoring.report SCORES... -o report.html [--period auto|day|week|month] [--multi-sep +] "
    "[--evidence N] [--evidence-outlets N] [--min-articles N] [--min-chart-articles N] [--languages en,...]"
)
MAKE_REPORT = "make report SCORES=output/2024-05.jsonl REPORT=output/2024-05.html"
RUN = {PREDICT, SCORE, MAKE_SCORE, SCORE_DUMP, RESUME, SPARK, SERVE, PROMOTE, COMPARE, REPORT, MAKE_REPORT}

TRAINING = (
    "trains another model on the repository's build/paragraphs.parquet (the experiment's table): minutes to "
    "tens of minutes on the corpora; the fixture trains the baseline through the same training.train"
)
YARN = "the YARN example: needs a Hadoop cluster, and venv-pack downloads from PyPI"
SKIPPED = {  # command prefix: why it is not run here
    "make all": "the fixture runs its first steps (the environment aside) on the sample table: a fresh clone has no corpora",
    "make test": "runs this suite",
    "make train EXP=": TRAINING,
    "python -m venv env ": YARN,
    "export MLFLOW_TRACKING_URI=sqlite:////path/to/mlflow.db": YARN,
    "PYSPARK_PYTHON=./environment/bin/python ": YARN,
    "make report-demo": "reads the corpora (../shared/data), which a fresh clone lacks, into the repository's output/",
}


def readme_commands(text: str) -> list[str]:
    """The commands of the README's shell blocks (``bash`` blocks, and bare blocks of `make` lines): one
    string each, continuation lines joined, comments dropped, runs of spaces made one."""
    commands, block, lang = [], None, ""
    for line in text.splitlines():
        if line.startswith("```"):
            if block is None:
                block, lang = [], line[3:].strip()
                continue
            if lang in ("bash", "sh") or (lang == "" and block and block[0].startswith("make ")):
                commands += _joined(block)
            block = None
        elif block is not None:
            block.append(line)
    return commands


def _joined(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        code = re.sub(r"(^|\s)#.*$", "", line).rstrip()  # a comment starts with '#' after a space
        if not code.strip():
            continue
        if out and (out[-1].endswith("\\") or line[:1].isspace()):
            out[-1] = out[-1].removesuffix("\\").rstrip() + " " + code.strip()
        else:
            out.append(code.strip())
    return [" ".join(command.split()) for command in out]


def skip_reason(command: str) -> str | None:
    return next((reason for prefix, reason in SKIPPED.items() if command.startswith(prefix)), None)


def filled(command: str, options: bool = False) -> str:
    """A synopsis made a command: placeholders named, ``[optional]`` parts dropped (or kept, ``options``)."""
    command = re.sub(r"\s*\[([^\]]*)\]", r" \1" if options else "", command)
    for placeholder, value in (("INPUT...", "articles.jsonl"), ("OUTPUT", "synopsis.jsonl")):
        command = command.replace(placeholder, value)
    return command.replace("SCORES...", "output/2024-05.jsonl").strip()


def as_run(command: str) -> str:
    """The command as run here: this interpreter for `python`, the repository's Makefile for `make`."""
    python = shlex.quote(sys.executable)
    command = re.sub(r"^(\.venv/bin/python|python) ", python + " ", command)
    makefile = shlex.quote(str(REPO_ROOT / "Makefile"))
    return re.sub(r"^make ", f"make -s -f {makefile} -o .venv/.installed PY={python} ", command)


def environment(store: str) -> dict:
    return {
        **os.environ,
        "MLFLOW_TRACKING_URI": store,
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "PYTHONPATH": str(REPO_ROOT),  # the code of this checkout, whatever the directory
        "HF_HUB_OFFLINE": "1",
    }


def shell(command: str, store: dict, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-c", as_run(command)],
        cwd=store["work"],
        env=environment(store["uri"]),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def readme_store(tmp_path_factory) -> dict:
    """`make all` on a fresh clone, the sample table standing in for the corpora; and the inputs the
    README's commands name, in their working directory."""
    from training import promote, train

    tmp = tmp_path_factory.mktemp("readme")
    experiment = sample_experiment(tmp, "baseline", base="baseline")
    uri = f"sqlite:///{tmp / 'mlflow.db'}"
    with tracking_store(uri):
        assert train.main(["--exp", str(experiment)]) == 0
        assert promote.main(["--table", str(tmp / "build" / "paragraphs.parquet")]) == 0

    work = tmp / "work"
    (work / "dumps" / "pages").mkdir(parents=True)
    shutil.copy(EXAMPLES, work / "articles.jsonl")
    for name in ("dump.jsonl.gz", "dumps/2024-05.jsonl.gz"):
        (work / name).write_bytes(gzip.compress(EXAMPLES.read_bytes()))
    shutil.copy(PAGES / "tram_line.html", work / "dumps" / "pages")
    pd.read_json(EXAMPLES, lines=True).to_parquet(work / "more.parquet")
    return {"tmp": tmp, "work": work, "uri": uri, "ids": [r["id"] for r in jsonl(EXAMPLES)]}


def test_every_readme_command_is_run_or_skipped_with_a_reason():
    commands = readme_commands(README)
    assert len(commands) >= 20 and "make all" in commands
    unhandled = [c for c in commands if c not in RUN and not c.startswith(CURL) and skip_reason(c) is None]
    assert unhandled == [], "run these in tests/test_readme.py, or add them to SKIPPED with the reason"
    assert [c for c in RUN if c not in commands] == [], "commands no longer in the README"
    assert len([c for c in commands if c.startswith(CURL)]) == 3


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_the_readme_commands_do_what_they_say_after_make_all(readme_store):
    work, ids = readme_store["work"], readme_store["ids"]
    failures = []

    def run(command: str, expect, as_written: str | None = None) -> None:
        result = shell(command, readme_store)
        try:
            assert result.returncode == 0, f"exit status {result.returncode}"
            expect(result)
        except AssertionError as error:
            failures.append(
                f"{as_written or command}\n  -> {error}\n  stdout: {result.stdout[-1500:]}\n  stderr: {result.stderr[-1500:]}"
            )

    def predicted(result):
        assert [r["id"] for r in jsonl(work / "scores.jsonl")] == ids
        assert all(f"  {i}: " in result.stdout for i in ids)  # a line per article, with its verdicts
        assert "predict: loaded narrative-classifier/1 in " in result.stderr

    run(filled(PREDICT), predicted, PREDICT)
    run(filled(PREDICT, options=True), predicted, PREDICT)

    def synopsis(result):
        assert [r["id"] for r in jsonl(work / "synopsis.jsonl")] == ids
        assert f"{len(ids)} records read" in result.stdout

    run(filled(SCORE), synopsis, SCORE)

    def dumps(result):
        records = jsonl(work / "output" / "2024-05.jsonl")
        assert [r["id"] for r in records] == [*ids, "tram_line.html"]
        assert records[-1]["status"] in ("ok", "unsupported_language") and records[-1]["extracted_text"]

    run(MAKE_SCORE, dumps)

    def scored(result):
        assert [r["id"] for r in jsonl(work / "scores.jsonl")] == ids
        (work / "scores.jsonl.kept").write_bytes((work / "scores.jsonl").read_bytes())

    run(SCORE_DUMP, scored)

    def resumed(result):
        assert "nothing to resume" in result.stderr
        assert (work / "scores.jsonl").read_bytes() == (work / "scores.jsonl.kept").read_bytes()

    run(RESUME, resumed)

    def promoted(result):
        assert "Version 1 is already the champion." in result.stdout  # make all promoted it

    def compared(result):
        assert "baseline" in result.stdout

    run(PROMOTE, promoted)
    run(COMPARE, compared)

    def report(html: Path):
        def expect(result):
            # the examples are undated: the header and tables, no trend chart
            assert "narrative-classifier/1" in html.read_text(encoding="utf-8")
            assert f"{html.name}: {len(ids) + 1} records" in result.stdout
            for numbers in (".aggregates.csv", ".aggregates.parquet", ".outlets.csv"):
                assert html.with_suffix(numbers).exists(), numbers

        return expect

    run(filled(REPORT), report(work / "report.html"), REPORT)
    run(MAKE_REPORT, report(work / "output" / "2024-05.html"))
    assert not failures, "\n\n".join(failures)


@pytest.mark.skipif(shutil.which("curl") is None or shutil.which("make") is None, reason="needs curl and make")
def test_the_readme_rest_calls_answer_make_serve(readme_store):
    port = free_port()
    log = (readme_store["tmp"] / "serve.log").open("wb")
    server = subprocess.Popen(
        ["bash", "-c", as_run(f"{SERVE} SERVE_PORT={port}")],
        cwd=readme_store["work"],
        env=environment(readme_store["uri"]),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for_ping(
            server,
            f"http://127.0.0.1:{port}",
            readme_store["tmp"] / "serve.log",
            "make serve did not answer within 120 s",
        )
        calls = [
            c.replace("127.0.0.1:5001", f"127.0.0.1:{port}") for c in readme_commands(README) if c.startswith(CURL)
        ]
        split, records, ping = (shell(call, readme_store, timeout=120) for call in calls)
        assert split.returncode == records.returncode == ping.returncode == 0
        two, one = json.loads(split.stdout)["predictions"], json.loads(records.stdout)["predictions"]
        assert len(two) == 2 and len(one) == 1 and set(two[0]) >= {"conspiracy_framing", "anti_foreign_rhetoric"}
        assert two[0] == one[0]  # the same text, the same scores, in either orientation
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java")
def test_the_readme_spark_command_runs_in_local_mode(readme_store):
    """Spark's local mode (about 30 s of start-up on 2 cores: slow)."""
    result = shell(SPARK, readme_store)
    assert result.returncode == 0, result.stderr[-3000:]
    parts = sorted((readme_store["work"] / "scores_spark.jsonl").glob("part-*"))
    records = [json.loads(line) for part in parts for line in part.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == readme_store["ids"] * 2  # the JSONL dump, then the Parquet rows
