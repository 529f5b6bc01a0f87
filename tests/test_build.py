import csv

import pandas as pd
import pytest

from classifier.text import normalise, text_hash
from data.build import build, counts, deduplicate, markdown, table_hash, to_frame
from data.gold import AnnotationMismatch, apply_annotations, read_annotations
from data.sources import Row
from data.split import assign_split


def table(rows, tmp_path):
    return apply_annotations(to_frame(rows), read_annotations(tmp_path))


def row(doc, index, text, source="s", conspiracy=0.0, weak=False):
    return Row(
        source=source,
        lang="en",
        doc_id=doc,
        index=index,
        start=-1,
        end=-1,
        text=text,
        origin="paragraph",
        labels={"conspiracy_framing": conspiracy, "anti_foreign_rhetoric": 0.0},
        weak=weak,
    )


def test_split_is_deterministic_and_by_group():
    assert assign_split("src", "article-1") == assign_split("src", "article-1")
    splits = [assign_split("src", f"a{i}") for i in range(2000)]
    shares = pd.Series(splits).value_counts(normalize=True)
    assert 0.76 < shares["train"] < 0.84 and 0.07 < shares["dev"] < 0.13
    with pytest.raises(ValueError):
        assign_split("src", "x", (0.5, 0.5, 0.5))


def test_no_article_in_two_splits(tiny_corpora, tmp_path):
    frame, meta = build(tiny_corpora, annotations_dir=tmp_path)
    assert frame.groupby(["source", "group"])["split"].nunique().max() == 1
    assert set(meta["sources"]) == {"semeval2023", "semeval2025", "euvsdisinfo", "pan2024"}
    assert meta["hash"] == table_hash(frame)


def test_near_duplicates_are_dropped_across_splits(tmp_path):
    docs = {}
    for i in range(200):  # find two groups that land in different splits
        docs.setdefault(assign_split("s", f"d{i}"), f"d{i}")
    rows = [
        row(docs["train"], 0, "The West wants war!"),
        row(docs["test"], 0, "the west wants WAR"),
        row(docs["train"], 1, "Unique text."),
    ]
    frame, dropped = deduplicate(table(rows, tmp_path))
    assert dropped["duplicate_across_splits"] == 1
    assert frame["text"].map(normalise).is_unique
    kept = frame[frame["text"].str.lower().str.contains("west")]
    assert kept["split"].tolist() == ["test"]  # the evaluated copy is kept


def test_strong_label_wins_within_a_split(tmp_path):
    rows = [row("d1", 0, "Same text here.", weak=True), row("d1", 1, "Same text here", conspiracy=1.0, weak=False)]
    frame, dropped = deduplicate(table(rows, tmp_path))
    assert dropped["duplicate_within_split"] == 1
    assert frame["conspiracy_framing"].tolist() == [1.0]


def test_counts_markdown(tiny_corpora, tmp_path):
    frame, _ = build(tiny_corpora, annotations_dir=tmp_path)
    table = counts(frame)
    assert table["paragraphs"].sum() == len(frame)
    assert markdown(table).startswith("| source | split |")


def test_missing_corpora_fall_back_to_sample(tmp_path, capsys):
    frame, meta = build(tmp_path / "nowhere")
    assert set(frame["source"]) == {"sample"}
    assert "obtain:" in capsys.readouterr().err
    for split in ("train", "dev", "test"):
        part = frame[frame["split"] == split]
        assert (part["conspiracy_framing"] == 1).any() and (part["anti_foreign_rhetoric"] == 1).any()


def _write_gold(path, rows):
    path.mkdir(parents=True, exist_ok=True)
    with (path / "gold.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(
            handle,
            fieldnames=[
                "source",
                "doc_id",
                "index",
                "text_hash",
                "conspiracy_framing",
                "anti_foreign_rhetoric",
                "note",
            ],
        )
        writer.writeheader()
        writer.writerows(rows)


def test_annotations_join_by_id_and_hash(tmp_path):
    frame = to_frame(
        [row("a1", 0, "Foreign agents plot a coup."), row("a1", 1, "Weather is fine."), row("a2", 0, "Other text.")]
    )
    _write_gold(
        tmp_path,
        [
            {
                "source": "s",
                "doc_id": "a1",
                "index": 0,
                "text_hash": text_hash("Foreign agents plot a coup."),
                "conspiracy_framing": "voiced",
                "anti_foreign_rhetoric": "reported",
                "note": "",
            },
        ],
    )
    gold = apply_annotations(frame, read_annotations(tmp_path))
    first = gold.iloc[0]
    assert bool(first["gold"]) and first["conspiracy_framing"] == 1.0 and first["anti_foreign_rhetoric"] == 0.0
    assert first["anti_foreign_rhetoric_reported"] == 1.0 and first["anti_foreign_rhetoric_stance"] == "reported"
    # The annotated article's other paragraphs follow it into the same split.
    assert gold.iloc[1]["split"] == first["split"]
    assert not gold.iloc[2]["gold"]


def test_changed_text_stops_the_build(tmp_path):
    frame = to_frame([row("a1", 0, "Text as it is now.")])
    _write_gold(
        tmp_path,
        [
            {
                "source": "s",
                "doc_id": "a1",
                "index": 0,
                "text_hash": text_hash("Text as it was."),
                "conspiracy_framing": "none",
                "anti_foreign_rhetoric": "none",
                "note": "",
            }
        ],
    )
    with pytest.raises(AnnotationMismatch, match="hash"):
        apply_annotations(frame, read_annotations(tmp_path))


def test_invalid_stance_is_rejected(tmp_path):
    _write_gold(
        tmp_path,
        [
            {
                "source": "s",
                "doc_id": "a1",
                "index": 0,
                "text_hash": "x",
                "conspiracy_framing": "maybe",
                "anti_foreign_rhetoric": "none",
                "note": "",
            }
        ],
    )
    with pytest.raises(ValueError, match="maybe"):
        read_annotations(tmp_path)
