"""Benchmark the dump scorers side by side in one run: per registered version (and, for transformers,
per runtime), with one worker and with ``--workers``: articles/s, paragraphs/s, peak RSS per worker and
in total, whether the outputs of one and of N workers are byte-identical, gold F1, and the hours a
1,000,000-article dump would take.

    python -m training.bench [--articles 2000] [--slow-articles 100] [--versions 1 2] [--workers N]
        [--runtimes onnx-int8 torch-int8] [--gold-n 1000] [--corpora ../shared/data] [--keep DIR]
        [--no-spark] [--cluster-cores 64]

Builds a JSONL dump of ``--articles`` articles by sampling (with replacement, shuffled) the articles of
the corpora (SemEval-2023 and SemEval-2025 .txt articles: first line the title, the rest the text) into
a temporary directory, never into the repository; encoder-based kinds (transformer, embedding_logreg,
ensemble) score its first ``--slow-articles`` articles. Each measurement runs ``python -m
scoring.score`` in a fresh process: throughput is the scoring loop's (model loading excluded); peak
RSS per worker is what the score command reports, the main process's comes from ``wait4``; the total
adds them (shared copy-on-write pages are counted once per process, so it is an upper bound). A
transformer is also scored with each of ``--runtimes`` (``CLASSIFIER_TRANSFORMER_RUNTIME``), on the
same weights; ``torch`` (the plain PyTorch fp32 pyfunc) first, and the ``× torch`` column gives each
row's articles/s over torch's with as many workers. Gold F1: voiced F1 per label and their macro mean
at the model's thresholds on ``--gold-n`` paragraphs of the gold test rows (seed 0), scored in this
process with the same runtime.
Spark (``--spark``, on by default): each version also scores its dump with ``--engine spark`` in
``local[1]`` and ``local[2]``; the job's time runs from the session's start to the output written
(session start-up excluded, model loading in the executors included). The per-core efficiency from
one core to two projects the hours of a 1,000,000-article dump on a cluster of ``--cluster-cores``
executor cores: ``1e6 / (rate on local[1] × cores × efficiency)``, assuming the efficiency measured
from one to two cores holds beyond them (input splits and shuffles grow with the cluster).
A measurement, not a test: other work on the machine changes the figures; compare within one run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from classifier.store import MODEL_NAME, REPO_ROOT, use_store
from classifier.threads import machine_cores
from data.corpora import DEFAULT_CORPORA as CORPORA

ARTICLE_GLOBS = ("semeval2023_task3/data/*/*-articles-subtask-3/*.txt", "semeval2025_task10/*/*/raw-documents/*.txt")


def corpus_articles(corpora: Path) -> list[dict]:
    """(title, text, source) of every .txt article in the corpora."""
    articles = []
    for pattern in ARTICLE_GLOBS:
        for path in sorted(corpora.glob(pattern)):
            content = path.read_text(encoding="utf-8", errors="replace").strip()
            title, _, text = content.partition("\n")
            if text.strip():
                articles.append({"title": title.strip(), "text": text.strip(), "source": pattern.split("/")[0]})
    if not articles:
        raise SystemExit(f"no articles found under {corpora}")
    return articles


def build_dump(path: Path, articles: list[dict], count: int, seed: int = 0) -> int:
    """Write ``count`` articles sampled from ``articles`` as JSONL; returns the size in bytes."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as handle:
        for number in range(count):
            article = rng.choice(articles)
            handle.write(json.dumps({"id": f"bench-{number}", **article}, ensure_ascii=False) + "\n")
    return path.stat().st_size


SLOW_KINDS = ("transformer", "embedding_logreg", "ensemble")
SPARK_LINE = re.compile(r"score \(spark\): (session on .* started|written to .*) at ([\d.]+) s")
WORKERS_LINE = re.compile(r"score: (\d+) workers; peak RSS MB per worker ([\d,. ]*); main process ([\d,]+)")


def versions(name: str) -> list[tuple[str, str, str]]:
    """(version, model kind, role tag) of every registered version."""
    from mlflow import MlflowClient

    use_store()
    found = MlflowClient().search_model_versions(f"name='{name}'")
    rows = [(str(v.version), v.tags.get("model_kind", "?"), v.tags.get("role", "")) for v in found]
    return sorted(rows, key=lambda v: int(v[0]))


def score_process(dump: Path, output: Path, model_uri: str, workdir: Path, options: list[str], env=None):
    """Run ``python -m scoring.score`` on the dump in a fresh process: (this run's summary, its stderr,
    wall seconds, resource usage); a failed run stops the benchmark with its stderr."""
    summary = workdir / "summary.json"
    command = [sys.executable, "-m", "scoring.score", str(dump), "-o", str(output), "--model", model_uri,
               "--summary-json", str(summary), *options]  # fmt: skip
    summary.unlink(missing_ok=True)
    started = time.perf_counter()
    with (workdir / "stderr.txt").open("w") as errors:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    stderr = (workdir / "stderr.txt").read_text()
    if code not in (0, 1) or not summary.exists():
        raise SystemExit(f"{' '.join(command)} failed with exit status {code}:\n{stderr[-2000:]}")
    return json.loads(summary.read_text())["run"], stderr, wall, usage


def measure(dump: Path, model_uri: str, workdir: Path, batch_size: int, workers: int, runtime: str = "") -> dict:
    """Score the dump in a fresh process: its summary, wall time, peak RSS and the output's digest."""
    output = workdir / "scores.jsonl"
    options = ["--batch-size", str(batch_size), "--log-every", "600", "--workers", str(workers)]
    env = {**os.environ, **({"CLASSIFIER_TRANSFORMER_RUNTIME": runtime} if runtime else {})}
    run, stderr, wall, usage = score_process(dump, output, model_uri, workdir, options, env)
    digest = hashlib.sha256(output.read_bytes()).hexdigest()
    output.unlink(missing_ok=True)
    output.with_name(output.name + ".checkpoint").unlink(missing_ok=True)
    found = WORKERS_LINE.search(stderr)
    per_worker = [float(x.replace(",", "")) for x in found.group(2).split(", ") if x.strip()] if found else []
    main_mb = float(found.group(3).replace(",", "")) if found else usage.ru_maxrss / 1024
    return {**run, "wall": wall, "digest": digest, "worker_mb": per_worker, "main_mb": main_mb}


def measure_spark(dump: Path, model_uri: str, workdir: Path, master: str) -> dict:
    """Score the dump with ``--engine spark`` on ``master`` in a fresh process: articles and paragraphs,
    and the job's seconds from the session's start to the output written."""
    output = workdir / "spark-scores"
    options = ["--engine", "spark", "--spark-master", master]
    run, stderr, _, _ = score_process(dump, output, model_uri, workdir, options)
    shutil.rmtree(output, ignore_errors=True)
    marks = {
        ("start" if what.startswith("session") else "written"): float(at) for what, at in SPARK_LINE.findall(stderr)
    }
    if set(marks) != {"start", "written"}:
        raise SystemExit(f"scoring.score --engine spark did not log its session start and output:\n{stderr[-2000:]}")
    return {"read": run["read"], "paragraphs": run["paragraphs"], "seconds": marks["written"] - marks["start"]}


def hours_per_million(articles_per_second: float) -> float:
    """Hours that 1,000,000 articles take at this rate."""
    return 1_000_000 / max(articles_per_second, 1e-9) / 3600


def spark_projection(one: dict, two: dict, cores: int) -> dict:
    """Rates on local[1] and local[2], the per-core efficiency from one to two cores, and the projected
    hours of 1,000,000 articles on ``cores`` executor cores at that efficiency."""
    rate1 = one["read"] / max(one["seconds"], 1e-9)
    rate2 = two["read"] / max(two["seconds"], 1e-9)
    efficiency = rate2 / max(rate1, 1e-9) / 2
    hours = hours_per_million(rate1 * cores * efficiency)
    return {"rate1": rate1, "rate2": rate2, "efficiency": efficiency, "hours": hours}


def gold_f1_of(model_uri: str, runtime: str, table: str, n: int) -> float:
    """Gold voiced macro-F1 on ``n`` gold test paragraphs, scored here with ``runtime`` (transformers)."""
    import mlflow

    from training.bench_models import gold_f1, gold_sample

    previous = os.environ.get("CLASSIFIER_TRANSFORMER_RUNTIME")
    if runtime:
        os.environ["CLASSIFIER_TRANSFORMER_RUNTIME"] = runtime
    try:
        model = mlflow.pyfunc.load_model(model_uri)
    finally:
        if previous is None:
            os.environ.pop("CLASSIFIER_TRANSFORMER_RUNTIME", None)
        else:
            os.environ["CLASSIFIER_TRANSFORMER_RUNTIME"] = previous
    metadata = model.metadata.metadata or {}
    columns, thresholds = list(metadata["columns"]), {k: float(v) for k, v in metadata["thresholds"].items()}
    frame = gold_sample(table, n)
    probs = model.predict(frame[["text"]])[columns].to_numpy()
    return gold_f1(probs, frame, columns, thresholds)["voiced_macro_f1"]


def head(dump: Path, count: int) -> Path:
    small = dump.with_name(f"dump-first-{count}.jsonl")
    with dump.open(encoding="utf-8") as source, small.open("w", encoding="utf-8") as target:
        for number, line in enumerate(source):
            if number >= count:
                break
            target.write(line)
    return small


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=2000, help="articles in the dump (default 2,000)")
    parser.add_argument("--slow-articles", type=int, default=100, help="articles for encoder-based kinds")
    parser.add_argument("--versions", nargs="*", help="registered versions to run (default: all)")
    parser.add_argument("--workers", type=int, default=0, help="the many-worker setting (default: the cores)")
    parser.add_argument("--runtimes", nargs="*", default=["torch", "onnx-int8", "onnx", "torch-int8"])
    parser.add_argument("--gold-n", type=int, default=1000, help="gold test paragraphs for gold F1")
    parser.add_argument("--table", default="build/paragraphs.parquet")
    parser.add_argument("--model-name", default=MODEL_NAME)
    parser.add_argument("--corpora", type=Path, default=CORPORA)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument(
        "--slow-batch-size",
        type=int,
        default=8,
        help="articles per chunk for encoder-based kinds (several chunks per worker)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--spark", action=argparse.BooleanOptionalAction, default=True, help="also time Spark local[1] and local[2]"
    )
    parser.add_argument(
        "--cluster-cores", type=int, default=64, help="executor cores of the projected Spark cluster (default 64)"
    )
    parser.add_argument(
        "--keep", type=Path, help="build the dump in this directory and keep it (default: a temporary one)"
    )
    args = parser.parse_args(argv)
    many = args.workers or machine_cores()
    chosen = versions(args.model_name)
    if args.versions:
        chosen = [v for v in chosen if v[0] in set(args.versions)]
    if not chosen:
        raise SystemExit(f"no registered versions of {args.model_name} to benchmark")
    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="narrative-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        dump = workdir / "dump.jsonl"
        started = time.perf_counter()
        size = build_dump(dump, corpus_articles(args.corpora), args.articles, args.seed)
        small = head(dump, args.slow_articles)
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(
            f"dump: {args.articles:,} articles ({args.slow_articles:,} for encoder-based kinds), {size / 1e6:,.0f} MB, "
            f"built in {time.perf_counter() - started:.0f} s; cores {machine_cores()}, load average {load:.1f} at the start; "
            f"batch size {args.batch_size} ({args.slow_batch_size} for encoder-based kinds); gold F1 on {args.gold_n:,} gold test paragraphs\n"
        )
        print(
            "| version | kind | runtime | workers | articles | articles/s | paragraphs/s | × 1 worker | × torch | same bytes | peak RSS MB per worker | total RSS MB | gold voiced macro-F1 | hours per 1M articles |"
        )
        print("|---|---|---|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---:|")
        spark_rows = []
        for version, kind, role in chosen:
            uri = f"models:/{args.model_name}/{version}"
            runtimes = [""] + (list(args.runtimes) if kind in ("transformer", "ensemble") else [])
            if "torch" in runtimes:  # first: the plain PyTorch fp32 pyfunc the other rows are compared with
                runtimes.insert(0, runtimes.pop(runtimes.index("torch")))
            torch_rates: dict[int, float] = {}
            source = small if kind in SLOW_KINDS else dump
            label = kind + (f" ({role})" if role else "")
            for runtime in runtimes:
                f1 = gold_f1_of(uri, runtime, args.table, args.gold_n)
                results = {}
                for workers in dict.fromkeys((1, many)):
                    batch = args.slow_batch_size if kind in SLOW_KINDS else args.batch_size
                    result = results[workers] = measure(source, uri, workdir, batch, workers, runtime)
                    seconds = max(result["seconds"], 1e-9)
                    rate = result["read"] / seconds
                    speedup = rate / max(results[1]["read"] / max(results[1]["seconds"], 1e-9), 1e-9)
                    if runtime == "torch":
                        torch_rates[workers] = rate
                    over_torch = f"{rate / torch_rates[workers]:.2f}" if workers in torch_rates else ""
                    same = "yes" if result["digest"] == results[1]["digest"] else "NO"
                    workers_mb = ", ".join(f"{mb:,.0f}" for mb in result["worker_mb"]) or "(in main)"
                    total_mb = result["main_mb"] + sum(result["worker_mb"])
                    print(
                        f"| {version} | {label} | {runtime or 'as logged'} | {workers} | {result['read']:,} | {rate:,.1f} | "
                        f"{result['paragraphs'] / seconds:,.0f} | {speedup:.2f} | {over_torch} | {same if workers > 1 else ''} | {workers_mb} | "
                        f"{total_mb:,.0f} | {f1:.4f} | {hours_per_million(rate):,.1f} |",
                        flush=True,
                    )
            if args.spark:
                one, two = (measure_spark(source, uri, workdir, master) for master in ("local[1]", "local[2]"))
                spark_rows.append((version, label, one, spark_projection(one, two, args.cluster_cores)))
        if spark_rows:
            print(
                f"\nSpark (--engine spark; job time from session start to output written): local[1] and local[2], "
                f"per-core efficiency, projected hours per 1M articles on {args.cluster_cores} executor cores\n"
            )
            print(
                "| version | kind | articles | paragraphs | local[1] articles/s | local[2] articles/s | × local[1] | per-core efficiency | hours per 1M articles, local[2] | hours per 1M articles, "
                f"{args.cluster_cores} cores |"
            )
            print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
            for version, label, one, p in spark_rows:
                print(
                    f"| {version} | {label} | {one['read']:,} | {one['paragraphs']:,} | {p['rate1']:,.1f} | {p['rate2']:,.1f} | "
                    f"{p['rate2'] / max(p['rate1'], 1e-9):.2f} | {p['efficiency']:.2f} | "
                    f"{hours_per_million(p['rate2']):,.1f} | {p['hours']:,.2f} |",
                    flush=True,
                )
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
