"""A model logged by an earlier version of the code still loads and scores identically."""

import io
import json
from pathlib import Path

import pytest

from classifier.articles import PASS_THROUGH, Scorer
from scoring.local import run

FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "articles.jsonl"


def test_legacy_model_scores_as_before(tmp_path):
    scorer = Scorer.from_mlflow(str(FIXTURES / "legacy_model"))
    out = tmp_path / "records.jsonl"
    run([EXAMPLES], out, scorer, log=io.StringIO())
    records = [json.loads(line) for line in out.read_text().splitlines()]
    inputs = [json.loads(line) for line in EXAMPLES.read_text().splitlines()]
    for record, article in zip(records, inputs, strict=True):
        assert record.pop("model")
        # the input's pass-through fields, not the model's: checked against the input, then set aside
        given, detected = record.pop("lang"), record.pop("lang_detected")
        assert given == (article.get("lang") or (given if detected else None))
        assert {key: record.pop(key) for key in PASS_THROUGH if key != "lang"} == {
            key: article.get(key) for key in PASS_THROUGH if key != "lang"
        }
        assert record.pop("thresholds") == {k: round(v, 4) for k, v in scorer.thresholds.items()}
    expected = json.loads((FIXTURES / "legacy_model_records.json").read_text())
    assert _same([_as_before(r) for r in records], expected, abs=5e-5)  # records give 4 digits now


def _as_before(record: dict) -> dict:
    """The record in the shape the fixture was written in: without the fields added since (title_only,
    extracted_text) and with only the stances that are not none in evidence."""
    out = {k: v for k, v in record.items() if k not in ("title_only", "extracted_text")}
    out["evidence"] = [
        item | {"stances": {k: v for k, v in item["stances"].items() if v != "none"}} for item in record["evidence"]
    ]
    return out


def _same(got, expected, abs: float = 1e-12) -> bool:
    """Equal structures, floats within ``abs``."""
    if isinstance(expected, float):
        return got == pytest.approx(expected, abs=abs)
    if isinstance(expected, dict):
        return (
            isinstance(got, dict)
            and got.keys() == expected.keys()
            and all(_same(got[k], expected[k], abs) for k in expected)
        )
    if isinstance(expected, list):
        return (
            isinstance(got, list) and len(got) == len(expected) and all(_same(g, e, abs) for g, e in zip(got, expected))
        )
    return got == expected
