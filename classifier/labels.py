"""The one place the labels are defined: names, order and short definitions.

Every model outputs one probability column per label in ``LABELS`` order. The probability is that the
paragraph *voices* the framing (its author, or a source it quotes, asserts it). ``REPORTED_COLUMNS``
name the second output per label: the probability that the paragraph *reports on* the framing from a
distance without asserting it. The full annotation guidelines live in ``data/GUIDELINES.md``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Label:
    name: str
    title: str
    definition: str


CONSPIRACY = Label(
    name="conspiracy_framing",
    title="Conspiracy framing",
    definition=(
        "Events are presented as the work of a secret plot by a powerful group (elites, foreign powers, "
        "NGOs, 'the deep state', a planned 'colour revolution'). Criticism of a government or institution "
        "without a hidden plot, and plots that courts have established, do not count."
    ),
)

ANTI_FOREIGN = Label(
    name="anti_foreign_rhetoric",
    title="Anti-foreign rhetoric",
    definition=(
        "Foreign governments, organisations, media or foreigners are cast as hostile, meddling or "
        "subversive, or domestic critics are cast as their agents. Factual reporting of sanctions, visa "
        "bans or diplomatic disputes does not count."
    ),
)

LABEL_SPECS: tuple[Label, ...] = (CONSPIRACY, ANTI_FOREIGN)
LABELS: tuple[str, ...] = tuple(label.name for label in LABEL_SPECS)

REPORTED_SUFFIX = "_reported"
REPORTED_COLUMNS: tuple[str, ...] = tuple(name + REPORTED_SUFFIX for name in LABELS)

STANCES: tuple[str, ...] = ("voiced", "reported", "none")


def reported_column(label: str) -> str:
    """Name of the `reported` output column that belongs to ``label``."""
    check_label(label)
    return label + REPORTED_SUFFIX


def check_label(label: str) -> str:
    if label not in LABELS:
        raise ValueError(f"unknown label {label!r}; labels are {', '.join(LABELS)}")
    return label
