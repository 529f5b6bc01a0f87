"""Benchmark scoring speed: registered models through their pyfunc, against a plain Hugging Face
``pipeline("text-classification")`` on the same fine-tuned weights and the same paragraphs, in one run.

    python -m training.bench_models --models models:/narrative-classifier/1 models:/narrative-classifier/4 [--n 1000] [--threads 2]

Each model is loaded first, warmed up on 16 paragraphs, then timed on ``--n`` paragraphs sampled
(seed 0) from the test split. For every model whose artifacts hold Hugging Face classification
weights (kind ``transformer``), the same weights are also timed through ``pipeline()`` twice: as
written in its documentation (one paragraph per call, ``batch_size`` 1) and with ``batch_size=64``;
both truncate at 128 tokens where the pyfunc scores every window of a long paragraph.
A measurement, not a test: other work on the machine changes the figures.

``--runtimes`` also scores, for every model with transformer parts, the same weights with each
runtime of ``classifier.models.transformer.RUNTIMES`` (torch, torch-int8, onnx, onnx-int8), through the
same pyfunc, on the same paragraphs: ``--n`` paragraphs of the gold test rows (seed 0). Every runtime is
set up once, then timed ``--rounds`` times, the runtimes interleaved within each round, so a change of
load on the machine hits them alike. It prints the median paragraphs/s, the median per-round speed-up
over ``torch`` (the plain PyTorch fp32 pyfunc) and over the pyfunc as logged, gold voiced F1 per label
and macro at the model's thresholds, the change of macro-F1 and the largest probability difference
against the logged pyfunc.
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
    parser.add_argument("--runtimes", action="store_true", help="compare the transformer runtimes on gold paragraphs")
    parser.add_argument("--rounds", type=int, default=3, help="--runtimes: timed rounds, interleaved over the runtimes")
    args = parser.parse_args(argv)
    if args.runtimes:
        return compare_runtimes(args.models, args.n, args.threads, args.table, args.rounds)
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


def transformer_parts(estimator) -> list:
    """The TransformerClassifier objects inside an estimator (calibrated, ensemble members, itself)."""
    from classifier.models.transformer import TransformerClassifier

    if isinstance(estimator, TransformerClassifier):
        return [estimator]
    found = []
    inner = getattr(estimator, "estimator", None)
    if inner is not None:
        found += transformer_parts(inner)
    for member in getattr(estimator, "members_", None) or getattr(estimator, "members", None) or []:
        found += transformer_parts(member[1] if isinstance(member, tuple) else member)
    return found


def gold_f1(probs, frame, columns: list[str], thresholds: dict) -> dict[str, float]:
    """Voiced F1 per label at the thresholds on the rows where the label is known, and their macro mean."""
    import numpy as np
    from sklearn.metrics import f1_score

    from classifier.labels import LABELS

    scores = {}
    for label in LABELS:
        truth = frame[label].to_numpy(dtype=float)
        known = ~np.isnan(truth)
        predicted = probs[:, columns.index(label)] >= thresholds[label]
        scores[label] = float(f1_score(truth[known].astype(int), predicted[known], zero_division=0))
    scores["voiced_macro_f1"] = float(np.mean([scores[label] for label in LABELS]))
    return scores


def gold_sample(table: str, n: int):
    import pandas as pd

    from classifier.labels import LABELS

    frame = pd.read_parquet(table, columns=["text", "split", "gold", *LABELS]).query("split == 'test' and gold")
    return frame.sample(n=min(n, len(frame)), random_state=0).reset_index(drop=True)


def use(parts: list, setup: list) -> None:
    """Put back the (forward function, runtime) of each transformer part, as set up earlier."""
    for part, (forward, runtime) in zip(parts, setup):
        part.forward_, part.runtime = forward, runtime


def compare_runtimes(uris: list[str], n: int, threads: int, table: str, rounds: int = 3) -> int:
    import statistics

    import mlflow
    import numpy as np
    import torch

    from classifier.models.transformer import RUNTIMES, machine_threads
    from classifier.store import use_store

    threads = threads or machine_threads()
    torch.set_num_threads(threads)
    os.environ["OMP_NUM_THREADS"] = str(threads)
    use_store()
    frame = gold_sample(table, n)
    texts = frame[["text"]]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"{len(frame):,} gold test paragraphs (mean {frame['text'].str.len().mean():.0f} characters), threads {threads}, "
        f"cores {os.cpu_count()}, load average {load:.1f}; {rounds} interleaved rounds, median rates and speed-ups\n"
    )
    print(
        "| model | runtime | paragraphs/s | × torch | × logged pyfunc | gold F1 per label | gold voiced macro-F1 | Δ macro-F1 | max abs Δp |"
    )
    print("|---|---|---:|---:|---:|---|---:|---:|---:|")
    for uri in uris:
        model = mlflow.pyfunc.load_model(uri)
        metadata = model.metadata.metadata or {}
        columns, thresholds = list(metadata["columns"]), {k: float(v) for k, v in metadata["thresholds"].items()}
        parts = transformer_parts(model.unwrap_python_model().estimator)
        if not parts:
            print(f"| {uri} | (no transformer parts) | | | | | | | |")
            continue
        logged = f"logged ({', '.join(part.runtime for part in parts)})"
        # Each runtime is set up once (graphs exported, sessions made), then switched by its forward function.
        setups = {logged: [(getattr(part, "forward_", None), part.runtime) for part in parts]}
        for runtime in RUNTIMES:
            for part in parts:
                part.use_runtime(runtime)
            setups[runtime] = [(part.forward_, part.runtime) for part in parts]

        probs, seconds = {}, {name: [] for name in setups}
        for name in setups:
            use(parts, setups[name])
            model.predict(texts.head(16))  # warm-up
            probs[name] = model.predict(texts)[columns].to_numpy()
        for _ in range(rounds):  # interleaved: a change of load hits every runtime alike
            for name in setups:
                use(parts, setups[name])
                seconds[name].append(timed(model.predict, texts))
        reference, base = probs[logged], gold_f1(probs[logged], frame, columns, thresholds)
        for name in setups:
            rate = len(frame) / statistics.median(seconds[name])
            over_torch = statistics.median(t / s for t, s in zip(seconds["torch"], seconds[name]))
            over_logged = statistics.median(t / s for t, s in zip(seconds[logged], seconds[name]))
            f1 = gold_f1(probs[name], frame, columns, thresholds)
            per_label = ", ".join(f"{k} {v:.3f}" for k, v in f1.items() if k != "voiced_macro_f1")
            delta = "" if name == logged else f"{f1['voiced_macro_f1'] - base['voiced_macro_f1']:+.4f}"
            change = "" if name == logged else f"{np.nanmax(np.abs(probs[name] - reference)):.4f}"
            print(
                f"| {uri} | {name} | {rate:,.1f} | {over_torch:.2f} | {over_logged:.2f} | {per_label} | "
                f"{f1['voiced_macro_f1']:.4f} | {delta} | {change} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
