"""Where the corpora are, and where a user obtains each one."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from classifier.store import REPO_ROOT

CORPORA_ENV = "NARRATIVE_CORPORA"
DEFAULT_CORPORA = REPO_ROOT.parent / "shared" / "data"


@dataclass(frozen=True)
class Corpus:
    name: str
    folder: str
    title: str
    licence: str
    obtain: str


CORPORA: tuple[Corpus, ...] = (
    Corpus(
        "semeval2023",
        "semeval2023_task3",
        "SemEval-2023 Task 3 (persuasion techniques, news paragraphs, 6 languages)",
        "research use, no redistribution (organisers' release)",
        "request the release from the task organisers: https://propaganda.math.unipd.it/semeval2023task3/",
    ),
    Corpus(
        "semeval2025",
        "semeval2025_task10",
        "SemEval-2025 Task 10 subtask 2 (narratives per news article, 5 languages)",
        "research use, no redistribution (organisers' release)",
        "request the release from the task organisers: https://propaganda.math.unipd.it/semeval2025task10/",
    ),
    Corpus(
        "euvsdisinfo",
        "euvsdisinfo",
        "EUvsDisinfo disinformation cases (claims, summaries, disproofs)",
        "the database's terms; cite EUvsDisinfo, no redistribution",
        "export the cases from the EUvsDisinfo database, https://euvsdisinfo.eu/disinformation-cases/, "
        "as claim_titles.csv and case_summaries.csv (columns listed in data/README.md)",
    ),
    Corpus(
        "pan2024",
        "pan2024_oppositional",
        "PAN 2024 Oppositional Thinking Analysis (Telegram, CONSPIRACY vs CRITICAL)",
        "CC BY-SA 4.0",
        "download from Zenodo via https://pan.webis.de/clef24/pan24-web/oppositional-thinking-analysis.html",
    ),
)


def corpora_root(path: str | os.PathLike | None = None) -> Path:
    """The corpora directory: the argument, else $NARRATIVE_CORPORA, else ../shared/data beside the repo."""
    if path:
        return Path(path).expanduser().resolve()
    if os.environ.get(CORPORA_ENV):
        return Path(os.environ[CORPORA_ENV]).expanduser().resolve()
    return DEFAULT_CORPORA
