"""Reading every paragraph of the training table: calibration, bulk batches, ingest, second reading.

    python -m data.reading freeze-test                      # once: fix the test split by group id
    python -m data.reading calibration --out DIR            # the 200 paragraphs every reader labels first
    python -m data.reading bulk --out DIR [--size 500]      # every unread paragraph, in reading order
    python -m data.reading ingest DIR...                    # readers' files -> data/annotations/read.csv
    python -m data.reading record DIR FILE -o CSV           # one reader's file as ids and stances
    python -m data.reading adjudicate FILE DIR...           # resolved disagreements replace the labels
    python -m data.reading second --out DIR [--size 1000]   # a stratified random sample to read again
    python -m data.reading agreement FIRST SECOND           # Cohen's kappa per label, source and language
    python -m data.reading review --out DIR [--size 6000]   # news paragraphs of train/dev to read again
    python -m data.reading disagreements DIR... --second CSV --out DIR  # pages for adjudication

A batch is an article-ordered list of paragraphs split into pages of text a reader reads in order
(``page_NN.md``) and ``keys.jsonl`` (key -> uid, text hash). A reader writes one line per key,
``key|conspiracy|anti_foreign|note`` (or tab-separated), the stances written ``v``/``r``/``n``. The order of
reading is chosen by a rule (``priority``); no label is pre-filled: a key without a line stays unread.
Exported batches hold corpus text: keep them outside the repository.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from classifier.labels import LABELS, STANCES
from classifier.text import text_hash
from data.annotate import ABOUT_NARRATIVES, ATTRIBUTION, GOLD_FIELDS, PLOT_OR_FOREIGN
from data.corpora import REPO_ROOT
from data.gold import ANNOTATIONS_DIR, read_annotations
from data.split import TEST_SPLIT_FILE, assign_split, read_test_groups

TABLE = REPO_ROOT / "build" / "paragraphs.parquet"
READ_FILE = ANNOTATIONS_DIR / "read.csv"
SECOND_DIR = ANNOTATIONS_DIR / "second_reading"
SEED = 20261202
PAGE_CHARS = 18_000
CONTEXT_CHARS = 400
SHORT = {"v": "voiced", "r": "reported", "n": "none"}
# Paragraphs on the subjects the two framings feed on; the read labels say which of them voice nothing
# (topic-matched hard negatives). The rule only names the stratum; it assigns no label.
TOPIC = re.compile(
    r"\b(migra\w*|refugee\w*|asylum|immigra\w*|border\w*|nato|european union|brussels|\beu\b|sanction\w*|"
    r"united states|washington|america\w*|the west|western|foreign\w*|interfer\w*|elect\w*|protest\w*|"
    r"government|vaccin\w*|pandemic|ngo\w*|soros|ukrain\w*|russia\w*|kremlin|moscow|china|beijing)\b",
    re.IGNORECASE,
)


def topic_hard_negatives(stances, texts) -> np.ndarray:
    """Topic-matched hard negatives: per row, ``none`` in every one of ``stances`` (one sequence of
    stances per label) and a ``TOPIC`` subject in ``texts``."""
    none = np.logical_and.reduce([np.asarray(stance, dtype=object) == "none" for stance in stances])
    return none & np.array([bool(TOPIC.search(text)) for text in texts], dtype=bool)


def uid_of(source: str, doc_id: str, index: int) -> str:
    return f"{source}:{doc_id}:{index}"


def load_table(path: Path = TABLE) -> pd.DataFrame:
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: run `make data` first")
    return pd.read_parquet(path)


def cue(text: str) -> bool:
    """Whether a paragraph has the words of reporting on a narrative (chooses reading order only)."""
    return bool(ABOUT_NARRATIVES.search(text) or (ATTRIBUTION.search(text) and PLOT_OR_FOREIGN.search(text)))


# --- the frozen test split -------------------------------------------------------------------------


def freeze_test(table: pd.DataFrame) -> pd.DataFrame:
    """The groups of the test split, chosen once: every group the table had in test; the EUvsDisinfo
    cases with a disproof and the PAN messages it had in dev; a hashed quarter of the other EUvsDisinfo
    cases with a disproof and a hashed tenth of the news articles with a reporting cue (so the split
    holds enough `reported` paragraphs). Chosen from ids and text cues only, never from labels, on the
    table as built before the freeze (splits by hash, articles with gold paragraphs 60/20/20)."""
    groups = table[["source", "group", "split", "origin", "text"]]
    chosen = set(map(tuple, groups.loc[groups["split"] == "test", ["source", "group"]].to_numpy()))
    disproof_cases = set(groups.loc[groups["origin"] == "disproof", "group"])
    dev = groups[groups["split"] == "dev"]
    chosen |= {("euvsdisinfo", g) for g in dev.loc[dev["source"] == "euvsdisinfo", "group"] if g in disproof_cases}
    chosen |= {("pan2024", g) for g in dev.loc[dev["source"] == "pan2024", "group"]}
    train = groups[groups["split"] == "train"]
    for case in sorted(set(train.loc[train["source"] == "euvsdisinfo", "group"]) & disproof_cases):
        if assign_split("euvsdisinfo", case, (0.75, 0.0, 0.25), salt="frozen-test") == "test":
            chosen.add(("euvsdisinfo", case))
    news = train[train["source"].isin(["semeval2023", "semeval2025"])]
    cued = {(s, g) for s, g, t in zip(news["source"], news["group"], news["text"]) if cue(t)}
    for source, group in sorted(cued):
        if assign_split(source, group, (0.9, 0.0, 0.1), salt="frozen-test") == "test":
            chosen.add((source, group))
    return pd.DataFrame(sorted(chosen), columns=["source", "group"])


# --- what to read, in which order ------------------------------------------------------------------


def priority(table: pd.DataFrame, test_groups: set[tuple[str, str]]) -> pd.Series:
    """Reading order (lower first): the test split; train paragraphs with a reporting cue, disproofs,
    Telegram messages and mapped positives; dev; the rest of train. Per article, the article's best."""
    in_test = [(s, g) in test_groups for s, g in zip(table["source"], table["group"])]
    mapped = table[list(LABELS)].fillna(0).max(axis=1).gt(0) | table["origin"].isin(["disproof", "message"])
    cued = table["text"].map(cue)
    rank = pd.Series(4, index=table.index)
    rank[(table["split"] == "dev")] = 3
    rank[(table["split"] == "train") & (mapped | cued)] = 1
    rank[in_test] = 0
    return rank.groupby([table["source"], table["group"]]).transform("min")


def unread(table: pd.DataFrame) -> pd.DataFrame:
    annotations = read_annotations()
    done = set(zip(annotations["source"], annotations["doc_id"], annotations["index"].astype(int)))
    keep = [(s, d, int(i)) not in done for s, d, i in zip(table["source"], table["doc_id"], table["index"])]
    return table[keep]


def _context(table: pd.DataFrame) -> dict[tuple[str, str, int], str]:
    return {(s, d, int(i)): t for s, d, i, t in zip(table["source"], table["doc_id"], table["index"], table["text"])}


def _clip(text: str) -> str:
    return text if len(text) <= CONTEXT_CHARS else text[:CONTEXT_CHARS] + " …"


def write_batch(out: Path, name: str, rows: pd.DataFrame, context: dict) -> int:
    """Pages of the rows in order; neighbours outside the batch shown as context."""
    folder = out / name
    folder.mkdir(parents=True, exist_ok=True)
    inside = set(zip(rows["source"], rows["doc_id"], rows["index"].astype(int)))
    pages, page, size, keys = [], [], 0, []
    previous = None
    for number, row in enumerate(rows.itertuples(), start=1):
        key = f"{name}-{number:04d}"
        keys.append(
            {"key": key, "uid": uid_of(row.source, row.doc_id, int(row.index)), "text_hash": text_hash(row.text)}
        )
        article = (row.source, row.doc_id)
        lines = []
        if article != previous:
            lines.append(f"\n=== ARTICLE {row.source} / {row.lang} / {row.doc_id} ===")
        before = context.get((row.source, row.doc_id, int(row.index) - 1))
        if before and (row.source, row.doc_id, int(row.index) - 1) not in inside:
            lines.append(f"(context before, not to label) {_clip(before)}")
        lines.append(f"[{key}] ({row.origin}) {row.text}")
        after = context.get((row.source, row.doc_id, int(row.index) + 1))
        if after and (row.source, row.doc_id, int(row.index) + 1) not in inside:
            lines.append(f"(context after, not to label) {_clip(after)}")
        block = "\n".join(lines) + "\n"
        if page and size + len(block) > PAGE_CHARS:
            pages.append(page)
            page, size = [], 0
        page.append(block)
        size += len(block)
        previous = article
    if page:
        pages.append(page)
    for index, blocks in enumerate(pages, start=1):
        (folder / f"page_{index:02d}.md").write_text("".join(blocks), encoding="utf-8")
    (folder / "keys.jsonl").write_text(
        "".join(json.dumps(k, ensure_ascii=False) + "\n" for k in keys), encoding="utf-8"
    )
    return len(keys)


def export_bulk(table: pd.DataFrame, out: Path, size: int, start: int = 0) -> list[str]:
    test_groups = read_test_groups()
    todo = unread(table)
    rank = priority(table, test_groups).loc[todo.index]
    rng = random.Random(SEED)
    articles = sorted(set(zip(todo["source"], todo["group"])))
    shuffled = {article: rng.random() for article in articles}
    todo = todo.assign(
        _rank=rank,
        _article=[shuffled[(s, g)] for s, g in zip(todo["source"], todo["group"])],
    ).sort_values(["_rank", "_article", "source", "doc_id", "index"], kind="stable")
    context = _context(table)
    names, batch, count = [], [], 0
    for _, part in todo.groupby(["_rank", "_article", "source", "group"], sort=False):
        batch.append(part)
        count += len(part)
        if count >= size:
            name = f"b{start + len(names):03d}"
            write_batch(out, name, pd.concat(batch), context)
            names.append(name)
            batch, count = [], 0
    if batch:
        name = f"b{start + len(names):03d}"
        write_batch(out, name, pd.concat(batch), context)
        names.append(name)
    print(f"{len(todo):,} unread paragraphs in {len(names)} batches under {out}")
    return names


def _shown(row, key: str, context: dict) -> list[str]:
    """The lines that show one paragraph of a sample (``row`` has source, lang, doc_id, index, origin and
    text) under its article's heading, between its neighbours."""
    before = context.get((row.source, row.doc_id, int(row.index) - 1))
    after = context.get((row.source, row.doc_id, int(row.index) + 1))
    lines = [f"\n=== {row.source} / {row.lang} / {row.doc_id} ==="]
    if before:
        lines.append(f"(context before, not to label) {_clip(before)}")
    lines.append(f"[{key}] ({row.origin}) {row.text}")
    if after:
        lines.append(f"(context after, not to label) {_clip(after)}")
    return lines


def write_scattered(folder: Path, prefix: str, rows: pd.DataFrame, context: dict) -> int:
    """Pages of paragraphs from different articles (a sample), each shown with its neighbours, and
    their keys; returns how many."""
    lines, keys = [], []
    for number, row in enumerate(rows.itertuples(), start=1):
        key = f"{prefix}-{number:04d}"
        keys.append(
            {"key": key, "uid": uid_of(row.source, row.doc_id, int(row.index)), "text_hash": text_hash(row.text)}
        )
        lines += _shown(row, key, context)
    folder.mkdir(parents=True, exist_ok=True)
    _write_pages(folder, lines)
    (folder / "keys.jsonl").write_text(
        "".join(json.dumps(k, ensure_ascii=False) + "\n" for k in keys), encoding="utf-8"
    )
    return len(keys)


def export_calibration(table: pd.DataFrame, out: Path, size: int = 200) -> None:
    """200 paragraphs outside the test split, stratified by source and language, a tenth with a
    reporting cue, every one shown with its neighbours."""
    rng = random.Random(SEED + 1)
    test_groups = read_test_groups()
    pool = table[[(s, g) not in test_groups for s, g in zip(table["source"], table["group"])]]
    quotas = {
        ("euvsdisinfo", "en", "claim"): 20,
        ("euvsdisinfo", "en", "disproof"): 20,
        ("pan2024", "en", None): 15,
        ("pan2024", "es", None): 15,
        ("semeval2023", "en", None): 18,
        ("semeval2025", "en", None): 18,
        **{("semeval2023", lang, None): 6 for lang in ("de", "fr", "it", "pl", "ru")},
        **{("semeval2025", lang, None): 7 for lang in ("bg", "pt", "ru", "hi")},
    }
    picked: list[int] = []
    for (source, lang, origin), quota in quotas.items():
        part = pool[(pool["source"] == source) & (pool["lang"] == lang)]
        if origin:
            part = part[part["origin"] == origin]
        picked += rng.sample(list(part.index), quota)
    cued = [
        i
        for i in pool.index[pool["text"].map(cue)]
        if i not in picked and pool.at[i, "source"] in ("semeval2023", "semeval2025")
    ]
    picked += rng.sample(cued, size - len(picked))
    rows = pool.loc[picked].sample(frac=1.0, random_state=SEED)
    context = _context(table)
    count = write_scattered(out / "cal", "cal", rows, context)
    print(f"{count} calibration paragraphs in {out / 'cal'}")


def _write_pages(folder: Path, lines: list[str]) -> None:
    for old in folder.glob("page_*.md"):
        old.unlink()
    pages, page, size = [], [], 0
    for line in lines:
        if page and size + len(line) > PAGE_CHARS and line.startswith("\n==="):
            pages.append(page)
            page, size = [], 0
        page.append(line)
        size += len(line) + 1
    if page:
        pages.append(page)
    for index, page in enumerate(pages, start=1):
        (folder / f"page_{index:02d}.md").write_text("\n".join(page) + "\n", encoding="utf-8")


# --- readers' files -> annotations -----------------------------------------------------------------


def read_reader_file(path: Path, keys: dict[str, dict]) -> dict[str, dict[str, str]]:
    """A reader's file, one line per paragraph: key, conspiracy stance, anti-foreign stance, note. Unknown keys or stances fail."""
    labels: dict[str, dict[str, str]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = re.split(r"\t|\|", line, maxsplit=3)
        if len(parts) < 3:
            raise ValueError(f"{path}:{number}: expected key|stance|stance[|note], got {line[:80]!r}")
        key = parts[0].strip()
        if key not in keys:
            raise ValueError(f"{path}:{number}: unknown key {key!r}")
        stances = [SHORT.get(p.strip().lower()[:1]) for p in parts[1:3]]
        if None in stances:
            raise ValueError(f"{path}:{number}: stances must be v, r or n, got {parts[1:3]}")
        labels[key] = {LABELS[0]: stances[0], LABELS[1]: stances[1], "note": parts[3].strip() if len(parts) > 3 else ""}
    return labels


def folder_keys(*folders: Path) -> dict[str, dict]:
    """key -> {key, uid, text_hash} over the batches' ``keys.jsonl``."""
    keys: dict[str, dict] = {}
    for folder in folders:
        keys |= {k["key"]: k for k in map(json.loads, (folder / "keys.jsonl").read_text(encoding="utf-8").splitlines())}
    return keys


def batch_labels(folder: Path, labels_name: str = "labels.txt") -> tuple[dict[str, dict], dict[str, dict[str, str]]]:
    keys = folder_keys(folder)
    path = folder / labels_name
    return keys, (read_reader_file(path, keys) if path.exists() else {})


def ingest(folders: list[Path], output: Path = READ_FILE, labels_name: str = "labels.txt") -> int:
    """Add the labels of finished batches to ``output`` (kept sorted); a batch whose keys are not all
    labelled is refused, so no paragraph is half-read. A paragraph read before (in ``output`` or another
    annotation file) keeps its first labels."""
    existing: dict[str, dict] = {}
    if output.exists():
        with output.open(encoding="utf-8", newline="") as handle:
            for record in csv.DictReader(handle):
                existing[uid_of(record["source"], record["doc_id"], int(record["index"]))] = record
    others = read_annotations()
    others = others[~others["file"].str.startswith(output.name + ":")]
    earlier = {uid_of(s, d, int(i)) for s, d, i in zip(others["source"], others["doc_id"], others["index"])}
    added = kept = 0
    for folder in folders:
        keys, labels = batch_labels(folder, labels_name)
        missing = sorted(set(keys) - set(labels))
        if missing:
            raise ValueError(f"{folder}: {len(missing)} of {len(keys)} paragraphs have no label (first {missing[:3]})")
        for key, label in labels.items():
            uid = keys[key]["uid"]
            if uid in existing or uid in earlier:
                kept += 1  # read before (calibration, an earlier set): the first reading stays
                continue
            source, rest = uid.split(":", 1)
            doc_id, index = rest.rsplit(":", 1)
            existing[uid] = {
                "source": source,
                "doc_id": doc_id,
                "index": index,
                "text_hash": keys[key]["text_hash"],
                **{name: label[name] for name in LABELS},
                "note": label["note"],
            }
            added += 1
    rows = sorted(existing.values(), key=lambda r: (r["source"], r["doc_id"], int(r["index"])))
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=GOLD_FIELDS, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    print(
        f"{added:,} labels from {len(folders)} batches ({kept:,} read before, kept as they were); {len(rows):,} paragraphs in {output}"
    )
    return added


def record(folder: Path, labels_name: str, output: Path) -> int:
    """One reader's labels of a batch as an annotation file (ids, hashes, stances; never text), for the
    calibration and second-reading records."""
    keys, labels = batch_labels(folder, labels_name)
    missing = sorted(set(keys) - set(labels))
    if missing:
        raise ValueError(f"{folder / labels_name}: {len(missing)} of {len(keys)} paragraphs have no label")
    rows = []
    for key, label in labels.items():
        source, rest = keys[key]["uid"].split(":", 1)
        doc_id, index = rest.rsplit(":", 1)
        rows.append(
            {
                "source": source,
                "doc_id": doc_id,
                "index": index,
                "text_hash": keys[key]["text_hash"],
                **{name: label[name] for name in LABELS},
                "note": label["note"],
            }
        )
    rows.sort(key=lambda r: (r["source"], r["doc_id"], int(r["index"])))
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=GOLD_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def adjudicate(folders: list[Path], path: Path, annotations_dir: Path = ANNOTATIONS_DIR) -> int:
    """Replace the labels of the paragraphs in ``path`` (lines ``key|c|a|reason`` over the keys of
    ``folders``) in whichever annotation file holds them, the note marked ``adjudicated``."""
    keys = folder_keys(*folders)
    decided = {keys[key]["uid"]: label for key, label in read_reader_file(path, keys).items()}
    changed = 0
    for file in sorted(annotations_dir.glob("*.csv")):
        with file.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        touched = False
        for row in rows:
            label = decided.get(uid_of(row["source"], row["doc_id"], int(row["index"])))
            if label is None:
                continue
            row.update({name: label[name] for name in LABELS}, note=f"adjudicated: {label['note']}".strip())
            touched, changed = True, changed + 1
        if touched:
            with file.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=GOLD_FIELDS, lineterminator="\n")
                writer.writeheader()
                writer.writerows(rows)
    print(f"{changed} of {len(decided)} adjudicated paragraphs updated")
    return changed


# --- second reading and agreement ------------------------------------------------------------------


def _with_table(annotations: pd.DataFrame, table: pd.DataFrame, columns=("lang", "text", "origin")) -> pd.DataFrame:
    """The annotated paragraphs that are in ``table``, with its ``columns``."""
    keyed = table.set_index(["source", "doc_id", "index"])
    return annotations.join(keyed[list(columns)], on=["source", "doc_id", "index"], how="inner")


def _write_parts(rows: pd.DataFrame, out: Path, prefix: str, parts: int, context: dict) -> None:
    """``rows`` in order, cut into ``parts`` folders ``<prefix>1`` ... for independent readers."""
    per_part = -(-len(rows) // parts)
    for part in range(parts):
        chunk = rows.iloc[part * per_part : (part + 1) * per_part]
        write_scattered(out / f"{prefix}{part + 1}", f"{prefix}{part + 1}", chunk, context)


def export_second(table: pd.DataFrame, out: Path, size: int = 1000, parts: int = 4) -> None:
    """A random ``size`` of the bulk-read paragraphs, stratified by source and language (proportional,
    at least 10 per stratum), shuffled, each with its neighbours, in ``parts`` folders for independent
    readers; the first labels are not exported. The sample's ids and languages (no text) go to
    ``SECOND_DIR/languages.csv``."""
    annotations = read_annotations()
    frame = _with_table(annotations[annotations["file"].str.startswith(READ_FILE.name + ":")], table)
    rng = random.Random(SEED + 2)
    strata = frame.groupby(["source", "lang"]).groups
    total = len(frame)
    picked: list = []
    for _, index in sorted(strata.items()):
        want = max(10, round(size * len(index) / total))
        picked += rng.sample(list(index), min(want, len(index)))
    rng.shuffle(picked)
    rows = frame.loc[picked[:size]]
    SECOND_DIR.mkdir(parents=True, exist_ok=True)
    rows[["source", "doc_id", "index", "lang"]].sort_values(["source", "doc_id", "index"]).to_csv(
        SECOND_DIR / "languages.csv", index=False, lineterminator="\n"
    )
    _write_parts(rows, out, "sec", parts, _context(table))
    print(f"{len(rows)} paragraphs for the second reading in {parts} folders under {out}")


NEWS = ("semeval2023", "semeval2025")
REVIEW_DIR = ANNOTATIONS_DIR / "review"


def export_review(
    table: pd.DataFrame,
    out: Path,
    size: int = 6000,
    parts: int = 6,
    splits: tuple[str, ...] = ("train", "dev"),
    prefix: str = "rev",
) -> int:
    """News paragraphs of ``splits`` to read again, independently, where the second reading measured
    the least agreement: every paragraph the first reading called ``voiced`` or
    ``reported`` for a label, and as many again from the rest, a seeded random sample per language. The
    rule uses the first reading only to choose what to read; the first labels are not exported. Shuffled,
    each paragraph with its neighbours, in ``parts`` folders for independent readers."""
    frame = _with_table(read_annotations(), table, ("lang", "text", "origin", "split"))
    frame = frame[frame["source"].isin(NEWS) & frame["split"].isin(list(splits))]
    marked = frame[list(LABELS)].isin(["voiced", "reported"]).any(axis=1)
    rng = random.Random(SEED + 3)
    picked = list(frame.index[marked])
    marked_per_language = frame.loc[marked, "lang"].value_counts()
    for lang, index in sorted(frame[~marked].groupby("lang").groups.items()):
        picked += rng.sample(list(index), min(len(index), int(marked_per_language.get(lang, 0))))
    rng.shuffle(picked)
    rows = frame.loc[picked[:size]]
    _write_parts(rows, out, prefix, parts, _context(table))
    print(f"{len(rows)} news paragraphs of {', '.join(splits)} to read again in {parts} folders under {out}")
    return len(rows)


def export_disagreements(table: pd.DataFrame, folders: list[Path], second: Path, out: Path) -> int:
    """Pages for adjudication: each paragraph of ``folders`` whose labels in ``second`` (the new reading,
    which may cover other batches too)
    differ from the current annotations, with its neighbours and both readings as A and B (which is
    which is not shown); keys as in ``folders``. Returns how many."""
    keys = folder_keys(*folders)
    by_uid = {k["uid"]: key for key, k in keys.items()}
    current = read_annotations().set_index(["source", "doc_id", "index"])
    new = _with_table(_read_file(second), table)
    rng = random.Random(SEED + 4)
    context = _context(table)
    lines, count, seen = [], 0, 0
    for row in new.itertuples(index=False):
        at = (row.source, row.doc_id, int(row.index))
        if uid_of(*at) not in by_uid:
            continue  # read in another batch
        seen += 1
        first = current.loc[at]
        first = first.iloc[0] if isinstance(first, pd.DataFrame) else first
        a = tuple(first[name] for name in LABELS)
        b = tuple(getattr(row, name) for name in LABELS)
        if a == b:
            continue
        if rng.random() < 0.5:
            a, b = b, a
        lines += _shown(row, by_uid[uid_of(*at)], context)
        lines.append(
            f"reading A: conspiracy {a[0]}, anti-foreign {a[1]} | reading B: conspiracy {b[0]}, anti-foreign {b[1]}"
        )
        count += 1
    out.mkdir(parents=True, exist_ok=True)
    _write_pages(out, lines)
    print(f"{count} of {seen} paragraphs read differently; pages in {out}")
    return count


def agreement_table(first: pd.DataFrame, second: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Cohen's kappa (three stances) per label, overall and per ``by`` group, over the paragraphs both
    readings labelled. ``first``/``second`` have source, doc_id, index, lang and the two label columns."""
    from sklearn.metrics import cohen_kappa_score

    key = ["source", "doc_id", "index"]
    both = first.merge(second[[*key, *LABELS]], on=key, suffixes=("", "_2"))
    rows = []
    groups = [("all", both)] + ([(name, part) for name, part in both.groupby(by)] if by else [])
    for name, part in groups:
        name = name[0] if isinstance(name, tuple) and len(name) == 1 else name
        row = {"group": name if isinstance(name, str) else " / ".join(map(str, name)), "paragraphs": len(part)}
        for label in LABELS:
            a, b = part[label], part[label + "_2"]
            same = (a == b).mean()
            kappa = cohen_kappa_score(a, b, labels=list(STANCES)) if len(set(a) | set(b)) > 1 else float("nan")
            row[f"{label}_kappa"] = kappa
            row[f"{label}_agreement"] = same
        rows.append(row)
    return pd.DataFrame(rows)


def _read_file(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["index"] = frame["index"].astype(int)
    return frame


def calibration_agreement(folder: Path) -> dict | None:
    """Pairwise Cohen's kappa (three stances) per label between the calibration readers' files."""
    from itertools import combinations

    from sklearn.metrics import cohen_kappa_score

    files = sorted(folder.glob("reader_*.csv")) if folder.exists() else []
    if len(files) < 2:
        return None
    readers = [_read_file(path).set_index(["source", "doc_id", "index"]) for path in files]
    common = readers[0].index
    for other in readers[1:]:
        common = common.intersection(other.index)
    out: dict = {"readers": len(readers), "paragraphs": len(common)}
    for label in LABELS:
        out[label] = [
            float(cohen_kappa_score(a.loc[common, label], b.loc[common, label], labels=list(STANCES)))
            for a, b in combinations(readers, 2)
        ]
    return out


def second_agreement(annotations_dir: Path, folder: Path) -> pd.DataFrame | None:
    """Kappa per label of the second reading (``folder/reading_2.csv``) against the first reading of
    the same paragraphs as it stood then (``folder/reading_1.csv``), overall, per source and per
    language."""
    path, first_path = folder / "reading_2.csv", folder / "reading_1.csv"
    if not path.exists() or not first_path.exists():
        return None
    second = _read_file(path)
    first = _read_file(first_path)  # the first reading as it stood before the disagreements were resolved
    langs = pd.read_csv(folder / "languages.csv", dtype=str) if (folder / "languages.csv").exists() else None
    first = first.merge(second[["source", "doc_id", "index"]], on=["source", "doc_id", "index"])
    if langs is not None:
        langs["index"] = langs["index"].astype(int)
        first = first.merge(langs, on=["source", "doc_id", "index"], how="left")
    else:
        first["lang"] = "?"
    parts = [agreement_table(first, second, [])]
    parts.append(agreement_table(first, second, ["source"]).iloc[1:])
    parts.append(agreement_table(first, second, ["lang"]).iloc[1:].assign(group=lambda f: "lang " + f["group"]))
    return pd.concat(parts, ignore_index=True)


def hard_negative_crossover(folder: Path, table: pd.DataFrame) -> list[tuple[int, int]] | None:
    """How often one reader calls voiced what the other read as a topic-matched hard negative (``none``
    for both labels, on a ``TOPIC`` subject): for reading 1 against reading 2 and the reverse, the
    number of one reading's hard negatives and how many of them the other reading calls voiced for
    either label. The paragraphs' text comes from ``table`` (the built training table)."""
    path, first_path = folder / "reading_2.csv", folder / "reading_1.csv"
    if not path.exists() or not first_path.exists():
        return None
    key = ["source", "doc_id", "index"]
    texts = table[key + ["text"]].astype({"doc_id": str, "index": int})
    both = _read_file(first_path).merge(_read_file(path), on=key, suffixes=("_1", "_2")).merge(texts, on=key)
    out = []
    for one, other in (("_1", "_2"), ("_2", "_1")):
        negatives = topic_hard_negatives([both[label + one] for label in LABELS], both["text"])
        voiced = np.logical_or.reduce([both[label + other].eq("voiced").to_numpy() for label in LABELS])
        out.append((int(negatives.sum()), int((negatives & voiced).sum())))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("freeze-test")
    for name in ("calibration", "bulk", "second"):
        sub = commands.add_parser(name)
        sub.add_argument("--out", type=Path, required=True)
        sub.add_argument("--size", type=int, default={"calibration": 200, "bulk": 500, "second": 1000}[name])
        if name == "bulk":
            sub.add_argument("--start", type=int, default=0, help="number of the first batch")
    ingest_parser = commands.add_parser("ingest")
    ingest_parser.add_argument("folders", type=Path, nargs="+")
    ingest_parser.add_argument("--labels", default="labels.txt", help="the reader's file in each folder")
    adjudicate_parser = commands.add_parser("adjudicate")
    adjudicate_parser.add_argument("file", type=Path, help="key|c|a|reason lines")
    adjudicate_parser.add_argument("folders", type=Path, nargs="+", help="the batches whose keys the file uses")
    record_parser = commands.add_parser("record")
    record_parser.add_argument("folder", type=Path)
    record_parser.add_argument("labels")
    record_parser.add_argument("-o", "--output", type=Path, required=True)
    review_parser = commands.add_parser("review")
    review_parser.add_argument("--out", type=Path, required=True)
    review_parser.add_argument("--size", type=int, default=6000)
    review_parser.add_argument("--parts", type=int, default=6)
    review_parser.add_argument("--splits", nargs="+", default=["train", "dev"], choices=["train", "dev", "test"])
    review_parser.add_argument("--prefix", default="rev", help="folder and key prefix")
    disagreements_parser = commands.add_parser("disagreements")
    disagreements_parser.add_argument("folders", type=Path, nargs="+", help="the review batches")
    disagreements_parser.add_argument("--second", type=Path, required=True, help="the new reading (record CSV)")
    disagreements_parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "ingest":
        ingest(args.folders, labels_name=args.labels)
        return 0
    if args.command == "adjudicate":
        adjudicate(args.folders, args.file)
        return 0
    if args.command == "record":
        print(f"{record(args.folder, args.labels, args.output)} labels in {args.output}")
        return 0
    table = load_table()
    if args.command == "freeze-test":
        if TEST_SPLIT_FILE.exists():
            print(f"{TEST_SPLIT_FILE} exists: the test split is frozen", file=sys.stderr)
            return 2
        groups = freeze_test(table)
        groups.to_csv(TEST_SPLIT_FILE, index=False, lineterminator="\n")
        print(f"{len(groups):,} groups in {TEST_SPLIT_FILE}")
    elif args.command == "calibration":
        export_calibration(table, args.out, args.size)
    elif args.command == "bulk":
        export_bulk(table, args.out, args.size, args.start)
    elif args.command == "review":
        export_review(table, args.out, args.size, args.parts, tuple(args.splits), args.prefix)
    elif args.command == "disagreements":
        export_disagreements(table, args.folders, args.second, args.out)
    else:
        export_second(table, args.out, args.size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
