"""Voiced or reported: a paragraph's stance per label, and an article's verdict per label.

Paragraph stance, from its probabilities and the model's thresholds:
- ``voiced`` when the voiced probability reaches its threshold and, if the reported probability also
  reaches its own, the voiced one does so by the larger factor (probability / threshold);
- ``reported`` when the reported probability reaches its threshold and voiced does not win;
- ``none`` otherwise. A model without ``*_reported`` outputs gives only ``voiced`` or ``none``.

Article verdict: ``voices`` when more paragraphs voice the framing than report on it; ``reports`` when
at least one paragraph reports on it and at least as many report as voice (an article about a
campaign quotes the campaign: its quotations voice it, its framing around them reports it); ``none``
when no paragraph does either.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from classifier.labels import LABELS, reported_column

VOICED, REPORTED, NONE = "voiced", "reported", "none"
VOICES, REPORTS = "voices", "reports"


def paragraph_stance(scores: Mapping[str, float], thresholds: Mapping[str, float], label: str) -> str:
    voiced_p, voiced_t = scores[label], thresholds[label]
    voiced = voiced_p >= voiced_t
    column = reported_column(label)
    if column not in scores:
        return VOICED if voiced else NONE
    reported_p, reported_t = scores[column], thresholds[column]
    reported = reported_p >= reported_t
    if voiced and (not reported or voiced_p / max(voiced_t, 1e-12) >= reported_p / max(reported_t, 1e-12)):
        return VOICED
    return REPORTED if reported else NONE


def paragraph_stances(scores: Mapping[str, float], thresholds: Mapping[str, float]) -> dict[str, str]:
    return {label: paragraph_stance(scores, thresholds, label) for label in LABELS}


def article_verdict(stances: Iterable[str]) -> str:
    stances = list(stances)
    voiced, reported = stances.count(VOICED), stances.count(REPORTED)
    if voiced > reported:
        return VOICES
    if reported > 0:
        return REPORTS
    return NONE
