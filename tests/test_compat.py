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
        assert {key: record.pop(key) for key in PASS_THROUGH} == {key: article.get(key) for key in PASS_THROUGH}
    expected = json.loads((FIXTURES / "legacy_model_records.json").read_text())
    assert _same(records, expected)


def _same(got, expected) -> bool:
    """Equal structures, floats within 1e-12."""
    if isinstance(expected, float):
        return got == pytest.approx(expected, abs=1e-12)
    if isinstance(expected, dict):
        return (
            isinstance(got, dict)
            and got.keys() == expected.keys()
            and all(_same(got[k], expected[k]) for k in expected)
        )
    if isinstance(expected, list):
        return isinstance(got, list) and len(got) == len(expected) and all(_same(g, e) for g, e in zip(got, expected))
    return got == expected
