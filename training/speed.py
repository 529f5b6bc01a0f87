"""Benchmark: load a registered model in this (fresh) process and score paragraphs of the test split.

    python -m training.speed [--model models:/narrative-classifier@champion] [--n 1000]

Prints the load time and paragraphs per second. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from classifier.store import DEFAULT_MODEL_URI


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=DEFAULT_MODEL_URI)
    parser.add_argument("--n", type=int, default=1000, help="paragraphs to score")
    parser.add_argument("--table", default="build/paragraphs.parquet")
    args = parser.parse_args(argv)

    import mlflow
    import pandas as pd

    from classifier.store import use_store

    use_store()
    texts = pd.read_parquet(args.table, columns=["text", "split"]).query("split == 'test'")["text"]
    frame = pd.DataFrame({"text": texts.sample(n=min(args.n, len(texts)), random_state=0).tolist()})
    started = time.perf_counter()
    model = mlflow.pyfunc.load_model(args.model)
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    out = model.predict(frame)
    seconds = time.perf_counter() - started
    assert len(out) == len(frame)
    threads = os.environ.get("OMP_NUM_THREADS", "default")
    print(
        f"{args.model}: loaded in {loaded:.2f} s; {len(frame):,} paragraphs in {seconds:.2f} s = "
        f"{len(frame) / seconds:,.0f} paragraphs/s (cores {os.cpu_count()}, OMP_NUM_THREADS {threads})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
