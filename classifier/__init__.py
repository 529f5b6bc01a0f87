"""Narrative classifier: score news paragraphs for conspiracy framing and anti-foreign rhetoric."""

from classifier.labels import LABELS, REPORTED_COLUMNS

__all__ = ["LABELS", "REPORTED_COLUMNS"]
