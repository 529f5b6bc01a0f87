"""The bulk reading: batches, readers' files, ingest, the frozen test split."""

import json

import pandas as pd
import pytest

from classifier.text import text_hash
from data import reading
from data.split import assign_split, corpus_split


def _table(rows):
    frame = pd.DataFrame(rows, columns=["source", "lang", "doc_id", "group", "index", "origin", "split", "text"])
    frame["conspiracy_framing"] = 0.0
    frame["anti_foreign_rhetoric"] = 0.0
    return frame


@pytest.fixture
def table():
    return _table(
        [
            ("news", "en", "a1", "a1", 0, "title", "train", "Council votes on the budget"),
            ("news", "en", "a1", "a1", 1, "paragraph", "train", "The vote passed on Monday."),
            ("news", "en", "a1", "a1", 2, "paragraph", "train", "State TV claimed NGOs plot a colour revolution."),
            ("news", "ru", "b2", "b2", 0, "paragraph", "dev", "Погода на понедельник."),
        ]
    )


def test_a_batch_shows_every_paragraph_once_in_article_order_with_outside_neighbours(table, tmp_path):
    context = reading._context(table)
    count = reading.write_batch(tmp_path, "b000", table.iloc[1:3], context)
    assert count == 2
    page = (tmp_path / "b000" / "page_01.md").read_text()
    assert page.index("[b000-0001]") < page.index("[b000-0002]")
    assert "(context before, not to label) Council votes on the budget" in page  # paragraph 0 is outside the batch
    assert page.count("context") == 1
    keys = [json.loads(line) for line in (tmp_path / "b000" / "keys.jsonl").read_text().splitlines()]
    assert keys[0] == {"key": "b000-0001", "uid": "news:a1:1", "text_hash": text_hash("The vote passed on Monday.")}


def test_readers_lines_are_checked(table, tmp_path):
    reading.write_batch(tmp_path, "b000", table, reading._context(table))
    keys, _ = reading.batch_labels(tmp_path / "b000")
    path = tmp_path / "labels.txt"
    path.write_text("b000-0001|n|n|\nb000-0003\tr\tn\tstate TV claim, attributed\n")
    labels = reading.read_reader_file(path, keys)
    assert labels["b000-0003"] == {
        "conspiracy_framing": "reported",
        "anti_foreign_rhetoric": "none",
        "note": "state TV claim, attributed",
    }
    path.write_text("b000-0001|x|n|\n")
    with pytest.raises(ValueError, match="v, r or n"):
        reading.read_reader_file(path, keys)
    path.write_text("b999-0001|n|n|\n")
    with pytest.raises(ValueError, match="unknown key"):
        reading.read_reader_file(path, keys)


def test_ingest_refuses_a_half_read_batch_and_keeps_the_first_reading(table, tmp_path, monkeypatch):
    monkeypatch.setattr(
        reading, "read_annotations", lambda: pd.DataFrame(columns=["source", "doc_id", "index", "file"])
    )
    reading.write_batch(tmp_path, "b000", table, reading._context(table))
    (tmp_path / "b000" / "labels.txt").write_text("b000-0001|n|n|\n")
    output = tmp_path / "read.csv"
    with pytest.raises(ValueError, match="3 of 4 paragraphs have no label"):
        reading.ingest([tmp_path / "b000"], output)
    (tmp_path / "b000" / "labels.txt").write_text("b000-0001|n|n|\nb000-0002|n|n|\nb000-0003|r|r|\nb000-0004|n|n|\n")
    assert reading.ingest([tmp_path / "b000"], output) == 4
    (tmp_path / "b000" / "labels.txt").write_text("b000-0001|v|v|\nb000-0002|n|n|\nb000-0003|v|v|\nb000-0004|n|n|\n")
    assert reading.ingest([tmp_path / "b000"], output) == 0
    read = pd.read_csv(output)
    assert len(read) == 4 and read.loc[read["index"] == 2, "conspiracy_framing"].item() == "reported"
    assert "text" not in read.columns and read["text_hash"].notna().all()


def test_the_frozen_test_split_holds_every_test_group_and_never_a_dev_article_without_a_reason():
    table = _table(
        [
            ("semeval2023", "en", "t", "t", 0, "paragraph", "test", "A test article."),
            ("semeval2023", "en", "d", "d", 0, "paragraph", "dev", "A dev article."),
            ("euvsdisinfo", "en", "c", "c", 0, "claim", "dev", "A claim."),
            ("euvsdisinfo", "en", "c", "c", 12, "disproof", "dev", "A disproof of it."),
        ]
    )
    groups = set(map(tuple, reading.freeze_test(table)[["source", "group"]].to_numpy()))
    assert groups == {("semeval2023", "t"), ("euvsdisinfo", "c")}


def test_corpus_split_follows_the_frozen_list_and_keeps_dev_by_hash():
    frozen = frozenset({("s", "in-test")})
    assert corpus_split("s", "in-test", frozen) == "test"
    names = [f"g{i}" for i in range(300)]
    assert all(corpus_split("s", n, frozen) in ("train", "dev") for n in names)
    assert [corpus_split("s", n, frozen) == "dev" for n in names] == [assign_split("s", n) == "dev" for n in names]
    assert corpus_split("s", "g1", frozenset()) == assign_split("s", "g1")


def _news_table():
    rows = [
        ("semeval2023", "en", "n1", "n1", 0, "paragraph", "train", "Elites planned the crisis in secret."),
        ("semeval2023", "en", "n1", "n1", 1, "paragraph", "train", "The council met on Monday."),
        ("semeval2023", "en", "n1", "n1", 2, "paragraph", "train", "Traffic was heavy."),
        ("semeval2023", "en", "n2", "n2", 0, "paragraph", "test", "Foreign agents staged the riots."),
        ("semeval2025", "ru", "n3", "n3", 0, "paragraph", "dev", "Запад готовит переворот."),
        ("semeval2025", "ru", "n3", "n3", 1, "paragraph", "dev", "Погода на понедельник."),
        ("euvsdisinfo", "en", "c1", "c1", 0, "claim", "train", "The West plots against us."),
    ]
    stances = ["voiced", "none", "none", "voiced", "voiced", "none", "voiced"]
    annotations = pd.DataFrame(
        {
            "source": [r[0] for r in rows],
            "doc_id": [r[2] for r in rows],
            "index": [r[4] for r in rows],
            "conspiracy_framing": stances,
            "anti_foreign_rhetoric": ["none"] * len(rows),
            "file": "read.csv:1",
        }
    )
    return _table(rows), annotations


def test_the_review_reads_news_of_train_and_dev_again_without_their_first_labels(tmp_path, monkeypatch):
    table, annotations = _news_table()
    monkeypatch.setattr(reading, "read_annotations", lambda: annotations)
    assert reading.export_review(table, tmp_path, size=100, parts=2) == 4  # 2 marked + 1 unmarked per language
    keys = [
        json.loads(line)["uid"]
        for part in ("rev1", "rev2")
        for line in (tmp_path / part / "keys.jsonl").read_text().splitlines()
    ]
    assert {"semeval2023:n1:0", "semeval2025:n3:0"} <= set(keys)
    assert "semeval2023:n2:0" not in keys and "euvsdisinfo:c1:0" not in keys  # never test, never claims
    pages = "".join(p.read_text() for p in tmp_path.glob("rev*/page_*.md"))
    assert "voiced" not in pages and "none" not in pages


def test_disagreements_show_both_readings_unnamed_and_only_where_they_differ(tmp_path, monkeypatch):
    table, annotations = _news_table()
    monkeypatch.setattr(reading, "read_annotations", lambda: annotations)
    rows = table.iloc[[0, 1]]
    reading.write_scattered(tmp_path / "rev1", "rev1", rows, reading._context(table))
    second = tmp_path / "second.csv"
    second.write_text(
        "source,doc_id,index,text_hash,conspiracy_framing,anti_foreign_rhetoric,note\n"
        "semeval2023,n1,0,h,reported,none,\nsemeval2023,n1,1,h,none,none,\n"
    )
    assert reading.export_disagreements(table, [tmp_path / "rev1"], second, tmp_path / "adj") == 1
    page = (tmp_path / "adj" / "page_01.md").read_text()
    assert "[rev1-0001]" in page and "[rev1-0002]" not in page
    assert "conspiracy voiced" in page and "conspiracy reported" in page


def test_the_review_of_the_test_split_reads_only_test_news_under_its_own_keys(tmp_path, monkeypatch):
    table, annotations = _news_table()
    monkeypatch.setattr(reading, "read_annotations", lambda: annotations)
    assert reading.export_review(table, tmp_path, size=100, parts=1, splits=("test",), prefix="tst") == 1
    keys = [json.loads(line) for line in (tmp_path / "tst1" / "keys.jsonl").read_text().splitlines()]
    assert [(k["key"], k["uid"]) for k in keys] == [("tst1-0001", "semeval2023:n2:0")]


def test_hard_negative_crossover_counts_each_readings_hard_negatives_the_other_calls_voiced(tmp_path):
    table = pd.DataFrame(
        {
            "source": "s",
            "doc_id": ["d1", "d1", "d2", "d3"],
            "index": [0, 1, 0, 0],
            "text": ["NATO ministers met in Brussels", "The tram opens", "Sanctions were extended", "The EU votes"],
        }
    )
    header = "source,doc_id,index,text_hash,conspiracy_framing,anti_foreign_rhetoric,note\n"
    (tmp_path / "reading_1.csv").write_text(
        header + "s,d1,0,h,none,none,\ns,d1,1,h,none,none,\ns,d2,0,h,none,none,\ns,d3,0,h,none,voiced,\n"
    )
    (tmp_path / "reading_2.csv").write_text(
        header + "s,d1,0,h,none,voiced,\ns,d1,1,h,voiced,none,\ns,d2,0,h,none,none,\ns,d3,0,h,none,none,\n"
    )
    # reading 1: hard negatives d1:0 and d2:0 (d1:1 is off topic), of which reading 2 voices d1:0;
    # reading 2: hard negatives d2:0 and d3:0, of which reading 1 voices d3:0.
    assert reading.hard_negative_crossover(tmp_path, table) == [(2, 1), (2, 1)]
    assert reading.hard_negative_crossover(tmp_path / "missing", table) is None
