"""Benchmark the dump scorer: articles and paragraphs per second and peak RSS, per registered model version.

    python -m training.bench [--articles 100000] [--versions 1 2] [--corpora ../shared/data] [--keep DIR]

Builds a JSONL dump of ``--articles`` articles by sampling (with replacement, shuffled) the articles of
the corpora (SemEval-2023 and SemEval-2025 .txt articles: first line the title, the rest the text) into
a temporary directory, never into the repository. Then runs ``python -m scoring.score`` on it once
per registered version, each in a fresh process, and prints a table: the scoring loop's throughput
(model loading excluded), the whole command's wall time, and the process's peak resident memory
(``ru_maxrss`` from ``wait4``). A measurement, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from classifier.store import MODEL_NAME, REPO_ROOT, use_store
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


def versions(name: str) -> list[tuple[str, str]]:
    from mlflow import MlflowClient

    use_store()
    found = MlflowClient().search_model_versions(f"name='{name}'")
    return sorted(((str(v.version), v.tags.get("model_kind", "?")) for v in found), key=lambda v: int(v[0]))


def measure(dump: Path, model_uri: str, workdir: Path, batch_size: int) -> dict:
    """Score the dump in a fresh process; its summary, wall time and peak RSS."""
    output, summary = workdir / "scores.jsonl", workdir / "summary.json"
    command = [sys.executable, "-m", "scoring.score", str(dump), "-o", str(output), "--model", model_uri,
               "--batch-size", str(batch_size), "--log-every", "60", "--summary-json", str(summary)]  # fmt: skip
    summary.unlink(missing_ok=True)
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if process.returncode not in (0, 1) or not summary.exists():
        raise SystemExit(f"{' '.join(command)} failed with exit status {process.returncode}")
    run = json.loads(summary.read_text())["run"]
    output.unlink(missing_ok=True)
    output.with_name(output.name + ".checkpoint").unlink(missing_ok=True)
    return {**run, "wall": wall, "peak_rss_mb": usage.ru_maxrss / 1024}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=100_000, help="articles in the dump (default 100,000)")
    parser.add_argument(
        "--versions",
        nargs="*",
        help="registered versions to run (default: all; a transformer or embedding model scores ~100 paragraphs/s on 2 cores)",
    )
    parser.add_argument("--model-name", default=MODEL_NAME)
    parser.add_argument("--corpora", type=Path, default=CORPORA)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--keep", type=Path, help="build the dump in this directory and keep it (default: a temporary one)"
    )
    args = parser.parse_args(argv)

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
        print(
            f"dump: {args.articles:,} articles, {size / 1e6:,.0f} MB, built in {time.perf_counter() - started:.0f} s ({dump})"
        )
        print(
            f"cores {os.cpu_count()}, OMP_NUM_THREADS {os.environ.get('OMP_NUM_THREADS', 'default')}, batch size {args.batch_size}"
        )
        header = f"{'version':>7} {'kind':<16} {'articles':>9} {'paragraphs':>11} {'score s':>8} {'articles/s':>10} {'paragr./s':>10} {'wall s':>7} {'peak RSS MB':>11}"
        print(header)
        print("-" * len(header))
        for version, kind in chosen:
            result = measure(dump, f"models:/{args.model_name}/{version}", workdir, args.batch_size)
            seconds = max(result["seconds"], 1e-9)
            print(
                f"{version:>7} {kind:<16} {result['read']:>9,} {result['paragraphs']:>11,} {seconds:>8.1f} "
                f"{result['read'] / seconds:>10,.0f} {result['paragraphs'] / seconds:>10,.0f} {result['wall']:>7.1f} {result['peak_rss_mb']:>11,.0f}",
                flush=True,
            )
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
