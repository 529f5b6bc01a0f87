"""Benchmark scoring speed: registered models through their pyfunc, against a plain Hugging Face
``pipeline("text-classification")`` on the same fine-tuned weights and the same paragraphs, in one run.

    python -m training.bench_models --models models:/narrative-classifier/1 models:/narrative-classifier/4 [--n 1000] [--threads 2]

Each model is loaded first, warmed up on 16 paragraphs, then timed on ``--n`` paragraphs sampled
(seed 0) from the test split. For every model whose artifacts hold Hugging Face classification
weights (kind ``transformer``), the same weights are also timed through ``pipeline()`` twice: as
written in its documentation (one paragraph per call, ``batch_size`` 1) and with ``batch_size=64``;
both truncate at 128 tokens where the pyfunc scores every window of a long paragraph.
A measurement, not a test: other work on the machine changes the figures.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import time
from pathlib import Path


def timed(function, *args) -> float:
    started = time.perf_counter()
    function(*args)
    return time.perf_counter() - started


def hf_folder(local: Path) -> Path | None:
    """The Hugging Face folder of a downloaded transformer model, if it has one."""
    meta = json.loads((local / "artifacts" / "meta.json").read_text())
    if meta["kind"] != "transformer":
        return None
    found = [p.parent for p in (local / "artifacts").rglob("config.json") if (p.parent / "model.safetensors").exists()]
    return found[0] if found else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", required=True, help="MLflow model URIs")
    parser.add_argument("--n", type=int, default=1000, help="paragraphs to score")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: the cores this process may use)")
    parser.add_argument("--table", default="build/paragraphs.parquet")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    import mlflow
    import pandas as pd
    import torch

    from classifier.models.transformer import machine_threads
    from classifier.store import use_store

    threads = args.threads or machine_threads()
    torch.set_num_threads(threads)
    use_store()
    test = pd.read_parquet(args.table, columns=["text", "split"]).query("split == 'test'")["text"]
    texts = test.sample(n=min(args.n, len(test)), random_state=0).tolist()
    frame = pd.DataFrame({"text": texts})
    print(
        f"{len(texts):,} test paragraphs (mean {sum(map(len, texts)) / len(texts):.0f} characters), torch threads {threads}, cores {os.cpu_count()}\n"
    )
    print("| model | scorer | paragraphs/s |")
    print("|---|---|---:|")
    for uri in args.models:
        model = mlflow.pyfunc.load_model(uri)
        kind = (model.metadata.metadata or {}).get("model_kind", "?")
        model.predict(frame.head(16))
        seconds = timed(model.predict, frame)
        print(f"| {uri} ({kind}) | pyfunc | {len(texts) / seconds:,.0f} |", flush=True)
        local = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri))
        folder = hf_folder(local)
        if folder is None:
            continue
        from transformers import pipeline

        classify = pipeline("text-classification", model=str(folder), tokenizer=str(folder), device="cpu")
        options = {"top_k": None, "function_to_apply": "sigmoid", "truncation": True, "max_length": 128}
        classify(texts[:16], **options)
        for batch_size in (1, 64):
            seconds = timed(functools.partial(classify, texts, batch_size=batch_size, **options))
            print(
                f'| {uri} ({kind}) | pipeline("text-classification"), batch_size={batch_size}, truncation at 128 | {len(texts) / seconds:,.0f} |',
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
