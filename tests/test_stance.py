import pytest

from classifier.stance import article_verdict, paragraph_stance, paragraph_stances

THRESHOLDS = {
    "conspiracy_framing": 0.4,
    "anti_foreign_rhetoric": 0.5,
    "conspiracy_framing_reported": 0.2,
    "anti_foreign_rhetoric_reported": 0.5,
}


def scores(cv=0.0, cr=0.0, av=0.0, ar=0.0):
    return {
        "conspiracy_framing": cv,
        "conspiracy_framing_reported": cr,
        "anti_foreign_rhetoric": av,
        "anti_foreign_rhetoric_reported": ar,
    }


@pytest.mark.parametrize(
    "paragraph,expected",
    [
        (scores(cv=0.9), "voiced"),
        (scores(cr=0.3), "reported"),
        (scores(cv=0.39, cr=0.19), "none"),
        (scores(cv=0.8, cr=0.3), "voiced"),  # 0.8/0.4 = 2.0 beats 0.3/0.2 = 1.5
        (scores(cv=0.5, cr=0.3), "reported"),  # 0.5/0.4 = 1.25 loses to 1.5
        (scores(cv=0.4, cr=0.0), "voiced"),  # a threshold is reached at equality
    ],
)
def test_paragraph_stance(paragraph, expected):
    assert paragraph_stance(paragraph, THRESHOLDS, "conspiracy_framing") == expected


def test_model_without_reported_outputs_gives_voiced_or_none():
    only_voiced = {"conspiracy_framing": 0.9, "anti_foreign_rhetoric": 0.1}
    assert paragraph_stances(only_voiced, THRESHOLDS) == {
        "conspiracy_framing": "voiced",
        "anti_foreign_rhetoric": "none",
    }


@pytest.mark.parametrize(
    "stances,verdict",
    [
        ([], "none"),
        (["none", "none"], "none"),
        (["voiced"], "voices"),
        (["voiced", "voiced", "reported"], "voices"),
        (["voiced", "reported"], "reports"),  # a quotation inside a report on the campaign
        (["reported", "none", "reported", "voiced"], "reports"),
        (["reported"], "reports"),
    ],
)
def test_article_verdict(stances, verdict):
    assert article_verdict(stances) == verdict


def test_verdicts_from_constructed_paragraph_scores():
    # A state-media article: the narrative asserted twice, a hostile outlet's rebuttal mentioned once.
    state_media = [scores(cv=0.9, av=0.8), scores(cv=0.7, av=0.9), scores(cr=0.5, ar=0.6)]
    # A report about that campaign: two distanced paragraphs and one quotation of the anchor.
    report = [scores(cr=0.6, ar=0.7), scores(cv=0.6, av=0.6), scores(cr=0.4, ar=0.9)]
    for paragraphs, expected in (
        (state_media, {"conspiracy_framing": "voices", "anti_foreign_rhetoric": "voices"}),
        (report, {"conspiracy_framing": "reports", "anti_foreign_rhetoric": "reports"}),
    ):
        stances = [paragraph_stances(p, THRESHOLDS) for p in paragraphs]
        verdicts = {label: article_verdict(s[label] for s in stances) for label in expected}
        assert verdicts == expected
