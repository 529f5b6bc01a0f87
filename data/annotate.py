"""Annotation plumbing: draw the paragraphs to annotate, and merge annotators' label files.

    python -m data.annotate export --out DIR [--corpora DIR]      # batches of paragraphs to read (text!)
    python -m data.annotate export --set reported-news --out DIR  # the news paragraphs added for `reported`
                                                                  # (gold_reported_news.csv; drawn again, the same set)
    python -m data.annotate second-pass --out DIR                 # the random 200 for the agreement pass
    python -m data.annotate merge LABELS.csv... -o data/annotations/gold.csv
    python -m data.annotate agreement FIRST.csv SECOND.csv         # Cohen's kappa per label

Exported batches hold corpus text: keep them outside the repository. Label files and the gold hold ids,
hashes and labels only.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
from pathlib import Path

from classifier.labels import LABELS, STANCES
from classifier.text import text_hash
from data.corpora import corpora_root
from data.gold import GOLD_FRACTIONS, read_annotations
from data.sources import Row, euvsdisinfo, pan2024, semeval2023, semeval2025
from data.split import assign_split

SEED = 20261126
REPORTED_NEWS_FILE = "gold_reported_news.csv"  # the labels of the reported-news set, beside gold.csv
GOLD_FIELDS = ["source", "doc_id", "index", "text_hash", *LABELS, "note"]
ABOUT_NARRATIVES = re.compile(
    r"propaganda|disinformation|misinformation|conspiracy theor|narrative|state media|state tv|state-run|"
    r"fake news|kremlin claims|falsely claim|baseless|debunk|fact-check",
    re.IGNORECASE,
)
# Words of attribution; those that ABOUT_NARRATIVES already matches on their own are not repeated here.
ATTRIBUTION = re.compile(
    r"\b(accus\w*|claim\w*|alleg\w*|blam\w*|insist\w*|portray\w*|depict\w*|brand\w*|so-called|theor\w*|"
    r"state television|kremlin-backed|pro-kremlin|mouthpiece)\b",
    re.IGNORECASE,
)
PLOT_OR_FOREIGN = re.compile(
    r"\b(plot\w*|conspir\w*|coup|colou?r revolution|foreign agent\w*|agents? of|meddl\w*|interfer\w*|puppet\w*|soros|"
    r"deep state|cia|nato|the west|western|foreign|globalist\w*|elites?|secret\w*|orchestrat\w*|staged|false.flag|"
    r"provocation\w*|russophob\w*|hostile)\b",
    re.IGNORECASE,
)


def uid(row: Row) -> str:
    return f"{row.source}:{row.doc_id}:{row.index}"


def draw(root: Path) -> list[tuple[str, Row]]:
    """The paragraphs to annotate, each with the stratum it was drawn from, articles kept together."""
    rng = random.Random(SEED)
    semeval25 = [row for row in semeval2025.load(root) if row.lang == "en"]
    semeval23 = [row for row in semeval2023.load(root) if row.lang == "en"]
    pan = [row for row in pan2024.load(root) if row.lang == "en"]
    cases = list(euvsdisinfo.load(root))

    chosen: list[tuple[str, Row]] = []
    mapped = {row.doc_id for row in semeval25 if any(row.labels.values())}
    chosen += [("semeval2025-mapped", row) for row in semeval25 if row.doc_id in mapped]
    other = [row for row in semeval25 if row.doc_id not in mapped]
    chosen += [("semeval2025-other", row) for row in rng.sample(other, 200)]
    taken = {uid(row) for _, row in chosen}
    about = [row for row in semeval23 + semeval25 if ABOUT_NARRATIVES.search(row.text) and uid(row) not in taken]
    chosen += [("news-about-narratives", row) for row in rng.sample(about, min(90, len(about)))]
    taken = {uid(row) for _, row in chosen}
    chosen += [("semeval2023", row) for row in rng.sample([r for r in semeval23 if uid(r) not in taken], 230)]
    chosen += [("pan2024", row) for row in rng.sample(pan, 200)]
    disproofs = [row for row in cases if row.origin == "disproof" and any(row.reported.values())]
    chosen += [("euvsdisinfo-disproof", row) for row in rng.sample(disproofs, 150)]
    untagged = [row for row in cases if row.origin == "disproof" and not any(row.reported.values())]
    chosen += [("euvsdisinfo-disproof", row) for row in rng.sample(untagged, 30)]
    claims = [row for row in cases if row.origin in ("claim", "summary")]
    chosen += [("euvsdisinfo-claim", row) for row in rng.sample(claims, 80)]
    return chosen


def stays_in_train(row: Row) -> bool:
    """Whether the paragraph's article is in train both as it is and once it holds a gold paragraph, so
    that annotating it changes no dev or test row."""
    return (
        assign_split(row.source, row.group) == "train"
        and assign_split(row.source, row.group, GOLD_FRACTIONS) == "train"
    )


def english_news(root: Path) -> list[Row]:
    return [row for module in (semeval2023, semeval2025) for row in module.load(root) if row.lang == "en"]


def draw_reported_news(rows: list[Row], annotated: set[tuple[str, str, int]]) -> list[tuple[str, Row]]:
    """The second set: every English SemEval news paragraph of ``rows`` not yet annotated that talks
    about propaganda or narratives, or attributes a plot or foreign hostility to someone (a word filter
    that only chooses what to read), from articles that stay in train, so that ``reported`` gains news
    examples for training while the gold dev and test splits stay as they are."""
    return [
        ("news-reported-train", row)
        for row in rows
        if (row.source, row.doc_id, row.index) not in annotated
        and len(row.text) >= 60
        and stays_in_train(row)
        and (ABOUT_NARRATIVES.search(row.text) or (ATTRIBUTION.search(row.text) and PLOT_OR_FOREIGN.search(row.text)))
    ]


def with_context(chosen: list[tuple[str, Row]], rows: list[Row]) -> dict[str, dict[str, str]]:
    """The paragraphs of ``rows`` before and after each chosen one, so quotations can be attributed."""
    wanted = {(row.source, row.doc_id) for _, row in chosen}
    by_article: dict[tuple[str, str], dict[int, str]] = {}
    for row in rows:
        if (row.source, row.doc_id) in wanted:
            by_article.setdefault((row.source, row.doc_id), {})[row.index] = row.text
    return {
        uid(row): {
            "before": by_article[(row.source, row.doc_id)].get(row.index - 1, ""),
            "after": by_article[(row.source, row.doc_id)].get(row.index + 1, ""),
        }
        for _, row in chosen
    }


def export(root: Path, out: Path, batch_size: int = 110, which: str = "gold") -> None:
    out.mkdir(parents=True, exist_ok=True)
    if which == "reported-news":
        earlier = read_annotations()
        earlier = earlier[~earlier["file"].str.startswith(f"{REPORTED_NEWS_FILE}:")]
        annotated = {(a.source, a.doc_id, int(a.index)) for a in earlier.itertuples()}
        news = english_news(root)
        chosen = draw_reported_news(news, annotated)
        context = with_context(chosen, news)
    else:
        chosen, context = draw(root), {}
    batches: list[list[dict]] = [[]]
    previous_doc = None
    for stratum, row in chosen:
        if len(batches[-1]) >= batch_size and row.doc_id != previous_doc:
            batches.append([])
        batches[-1].append({"uid": uid(row), "stratum": stratum, "text": row.text, **context.get(uid(row), {})})
        previous_doc = row.doc_id
    for number, batch in enumerate(batches):
        path = out / f"batch_{number:02d}.jsonl"
        path.write_text("".join(json.dumps(item, ensure_ascii=False) + "\n" for item in batch))
    print(f"{len(chosen)} paragraphs in {len(batches)} batches under {out}")


def second_pass(out: Path, size: int = 200) -> None:
    items = [json.loads(line) for path in sorted(out.glob("batch_*.jsonl")) for line in path.open()]
    picked = random.Random(SEED + 1).sample(items, size)
    (out / "second_pass.jsonl").write_text(
        "".join(json.dumps({"uid": i["uid"], "text": i["text"]}, ensure_ascii=False) + "\n" for i in picked)
    )
    print(f"{size} paragraphs for the second pass in {out / 'second_pass.jsonl'}")


def read_labels(paths: list[Path]) -> dict[str, dict[str, str]]:
    """Annotators' files: CSV with uid, conspiracy_framing, anti_foreign_rhetoric[, note]."""
    labels: dict[str, dict[str, str]] = {}
    for path in paths:
        with path.open(encoding="utf-8", newline="") as handle:
            for record in csv.DictReader(handle):
                for label in LABELS:
                    stance = (record.get(label) or "").strip().lower()
                    if stance not in STANCES:
                        raise ValueError(
                            f"{path}: {record.get('uid')}: {label} must be one of {STANCES}, got {stance!r}"
                        )
                    record[label] = stance
                labels[record["uid"].strip()] = {key: (value or "").strip() for key, value in record.items() if key}
    return labels


def merge(paths: list[Path], root: Path, output: Path) -> None:
    labels = read_labels(paths)
    rows = {uid(row): row for row in _all_rows(root) if uid(row) in labels}
    unknown = sorted(set(labels) - set(rows))
    if unknown:
        raise ValueError(f"{len(unknown)} labelled ids are not in the corpora, e.g. {unknown[:3]}")
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=GOLD_FIELDS, lineterminator="\n")
        writer.writeheader()
        for key in sorted(labels, key=lambda k: (rows[k].source, rows[k].doc_id, rows[k].index)):
            row = rows[key]
            writer.writerow(
                {
                    "source": row.source,
                    "doc_id": row.doc_id,
                    "index": row.index,
                    "text_hash": text_hash(row.text),
                    **{label: labels[key][label] for label in LABELS},
                    "note": labels[key].get("note", ""),
                }
            )
    print(f"{len(labels)} annotated paragraphs written to {output}")


def agreement(first: Path, second: Path) -> dict[str, dict[str, float]]:
    """Cohen's kappa per label between two annotation files over the paragraphs both labelled:
    on the three stances, and on voiced versus not."""
    from sklearn.metrics import cohen_kappa_score

    def read(path: Path) -> dict[tuple, dict]:
        with path.open(encoding="utf-8", newline="") as handle:
            return {(r["source"], r["doc_id"], r["index"]): r for r in csv.DictReader(handle)}

    a, b = read(first), read(second)
    common = sorted(set(a) & set(b))
    result: dict[str, dict[str, float]] = {}
    for label in LABELS:
        x = [a[key][label] for key in common]
        y = [b[key][label] for key in common]
        result[label] = {
            "paragraphs": float(len(common)),
            "kappa_stance": float(cohen_kappa_score(x, y, labels=list(STANCES))),
            "kappa_voiced": float(cohen_kappa_score([v == "voiced" for v in x], [v == "voiced" for v in y])),
            "raw_agreement": float(sum(p == q for p, q in zip(x, y)) / max(len(common), 1)),
        }
    return result


def _all_rows(root: Path):
    for module in (semeval2023, semeval2025, euvsdisinfo, pan2024):
        yield from module.load(root)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", help="corpora directory (default: $NARRATIVE_CORPORA or ../shared/data)")
    commands = parser.add_subparsers(dest="command", required=True)
    export_parser = commands.add_parser("export")
    export_parser.add_argument("--out", type=Path, required=True)
    export_parser.add_argument(
        "--set",
        dest="which",
        choices=("gold", "reported-news"),
        default="gold",
        help="gold: the first annotation set; reported-news: news paragraphs about narratives from train articles",
    )
    export_parser.add_argument("--batch-size", type=int, default=110)
    second_parser = commands.add_parser("second-pass")
    second_parser.add_argument("--out", type=Path, required=True)
    merge_parser = commands.add_parser("merge")
    merge_parser.add_argument("labels", type=Path, nargs="+")
    merge_parser.add_argument("-o", "--output", type=Path, required=True)
    agreement_parser = commands.add_parser("agreement")
    agreement_parser.add_argument("first", type=Path)
    agreement_parser.add_argument("second", type=Path)
    args = parser.parse_args(argv)
    root = corpora_root(args.corpora)
    if args.command == "export":
        export(root, args.out, args.batch_size, args.which)
    elif args.command == "second-pass":
        second_pass(args.out)
    elif args.command == "agreement":
        for label, values in agreement(args.first, args.second).items():
            print(
                f"{label}: "
                + ", ".join(f"{k} {v:.3f}" if k != "paragraphs" else f"{k} {int(v)}" for k, v in values.items())
            )
    else:
        merge(args.labels, root, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
