import json

from data.annotate import export, stays_in_train
from data.sources import Row, semeval2025
from data.split import assign_split


def _article(doc_id: str) -> Row:
    return Row(
        source="semeval2025",
        lang="en",
        doc_id=doc_id,
        index=0,
        start=-1,
        end=-1,
        text="",
        origin="paragraph",
        labels={},
    )


def test_reported_news_set_reads_only_articles_that_stay_in_train(tiny_corpora, tmp_path):
    names = [f"EN_UA_{i}" for i in range(100, 200)]
    staying = next(name for name in names if stays_in_train(_article(name)))
    # In train under the corpus split but in dev or test once the article holds gold: drawing it would move it.
    moving = next(
        name for name in names if assign_split("semeval2025", name) == "train" and not stays_in_train(_article(name))
    )
    release = tiny_corpora / "semeval2025_task10" / "train_data" / "EN"
    for name in (staying, moving):
        (release / "raw-documents" / f"{name}.txt").write_text(
            "Protests in the capital\n\nState television accused foreign NGOs of plotting a colour revolution.\n\nThe march ended at noon.\n"
        )
        with (release / "subtask-2-annotations.txt").open("a") as handle:
            handle.write(f"{name}.txt\tOther\tOther\n")
    assert {staying, moving} <= {row.doc_id for row in semeval2025.load(tiny_corpora)}

    export(tiny_corpora, tmp_path / "out", which="reported-news")
    items = [json.loads(line) for path in sorted((tmp_path / "out").glob("batch_*.jsonl")) for line in path.open()]
    uids = [item["uid"] for item in items]
    assert f"semeval2025:{staying}:1" in uids
    assert not any(uid.startswith(f"semeval2025:{moving}:") for uid in uids)
    # Paragraphs that neither talk about narratives nor attribute a plot are not drawn.
    assert f"semeval2025:{staying}:2" not in uids
    drawn = next(item for item in items if item["uid"] == f"semeval2025:{staying}:1")
    assert drawn["before"] == "Protests in the capital" and drawn["after"] == "The march ended at noon."
