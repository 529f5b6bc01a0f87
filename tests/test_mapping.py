import pytest

from data.mapping import euvsdisinfo_labels, pan_labels, semeval2025_labels
from data.sources import CorpusMissing, euvsdisinfo, pan2024, semeval2023, semeval2025


def test_semeval2025_narratives_and_subnarratives():
    hidden = semeval2025_labels({"URW: Hidden plots by secret schemes of powerful groups"}, set())
    assert hidden == {"conspiracy_framing": 1.0, "anti_foreign_rhetoric": 0.0}
    west = semeval2025_labels({"URW: Discrediting the West, Diplomacy"}, set())
    assert west == {"conspiracy_framing": 0.0, "anti_foreign_rhetoric": 1.0}
    puppet = semeval2025_labels(
        {"URW: Discrediting Ukraine"}, {"URW: Discrediting Ukraine: Ukraine is a puppet of the West"}
    )
    assert puppet["anti_foreign_rhetoric"] == 1.0
    # Most of "Discrediting Ukraine" is not about foreigners.
    hopeless = semeval2025_labels(
        {"URW: Discrediting Ukraine"}, {"URW: Discrediting Ukraine: Situation in Ukraine is hopeless"}
    )
    assert hopeless == {"conspiracy_framing": 0.0, "anti_foreign_rhetoric": 0.0}
    assert semeval2025_labels({"Other"}, {"Other"}) == {"conspiracy_framing": 0.0, "anti_foreign_rhetoric": 0.0}


def test_euvsdisinfo_tags_case_insensitive():
    assert euvsdisinfo_labels({"Conspiracy theory", "NATO"}) == {
        "conspiracy_framing": 1.0,
        "anti_foreign_rhetoric": 0.0,
    }
    assert euvsdisinfo_labels({" colour revolutions"}) == {"conspiracy_framing": 0.0, "anti_foreign_rhetoric": 1.0}
    assert euvsdisinfo_labels({"Economy"}) == {"conspiracy_framing": 0.0, "anti_foreign_rhetoric": 0.0}


def test_pan_categories():
    assert pan_labels("CONSPIRACY") == {"conspiracy_framing": 1.0, "anti_foreign_rhetoric": None}
    assert pan_labels("CRITICAL") == {"conspiracy_framing": 0.0, "anti_foreign_rhetoric": None}
    with pytest.raises(ValueError):
        pan_labels("OTHER")


def test_semeval2023_rows_are_weak_negatives_with_offsets(tiny_corpora):
    rows = list(semeval2023.load(tiny_corpora))
    assert [r.index for r in rows] == [1, 3, 5]
    article = (tiny_corpora / "semeval2023_task3/data/en/train-articles-subtask-3/article1001.txt").read_text()
    assert all(article[r.start : r.end] == r.text for r in rows)
    assert all(r.weak and r.labels == {"conspiracy_framing": 0.0, "anti_foreign_rhetoric": 0.0} for r in rows)


def test_semeval2025_paragraphs_inherit_article_labels(tiny_corpora):
    rows = list(semeval2025.load(tiny_corpora))
    by_doc = {}
    for row in rows:
        by_doc.setdefault(row.doc_id, []).append(row)
    assert all(r.labels["anti_foreign_rhetoric"] == 1.0 and r.weak for r in by_doc["EN_UA_1"])
    assert all(r.labels["conspiracy_framing"] == 1.0 for r in by_doc["EN_CC_2"])
    assert all(not any(r.labels.values()) and not r.weak for r in by_doc["EN_UA_3"])
    assert by_doc["EN_UA_1"][0].origin == "title"


def test_euvsdisinfo_claims_voice_and_disproofs_report(tiny_corpora):
    rows = list(euvsdisinfo.load(tiny_corpora))
    claim = next(r for r in rows if r.origin == "claim" and r.doc_id == "https://example.org/report/a/")
    assert claim.labels == {"conspiracy_framing": 1.0, "anti_foreign_rhetoric": 1.0}
    disproofs = [r for r in rows if r.origin == "disproof"]
    assert len(disproofs) == 1  # "No evidence given." is too short to teach anything
    assert disproofs[0].labels == {"conspiracy_framing": 0.0, "anti_foreign_rhetoric": 0.0}
    assert disproofs[0].reported == {"conspiracy_framing": 1.0, "anti_foreign_rhetoric": 1.0}
    # Summary rows join their claim's case, and a second summary row of a case gets its own indices.
    same_case = [r for r in rows if r.doc_id == "https://example.org/report/a/"]
    ids = [(r.doc_id, r.index) for r in same_case]
    assert len(ids) == len(set(ids))
    untagged = next(r for r in rows if r.doc_id == "https://example.org/report/b/")
    assert untagged.weak and not any(untagged.labels.values())


def test_pan_messages(tiny_corpora):
    rows = list(pan2024.load(tiny_corpora))
    assert [r.labels["conspiracy_framing"] for r in rows] == [1.0, 0.0]
    assert all(r.labels["anti_foreign_rhetoric"] is None for r in rows)


def test_missing_corpus_is_named(tmp_path):
    with pytest.raises(CorpusMissing, match="PAN 2024"):
        list(pan2024.load(tmp_path))
