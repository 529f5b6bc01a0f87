"""Article-grouped train/dev/test assignment.

The test split is frozen: the groups listed in ``data/test_split.csv`` (``python -m data.reading
freeze-test`` chose them once, from ids and text cues, before any paragraph of them was read). It is
never trained or tuned on. Every other group (a source article, a EUvsDisinfo case, a PAN message) goes
to train or dev by a hash of its source and id: stable when the corpora grow, identical on every
machine, and independent of row order.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

TEST_SPLIT_FILE = Path(__file__).resolve().parent / "test_split.csv"

SPLITS = ("train", "dev", "test")
DEFAULT_FRACTIONS = (0.8, 0.1, 0.1)


def assign_split(
    source: str, group: str, fractions: tuple[float, float, float] = DEFAULT_FRACTIONS, salt: str = "v1"
) -> str:
    if len(fractions) != 3 or abs(sum(fractions) - 1.0) > 1e-9 or min(fractions) < 0:
        raise ValueError(f"fractions must be three non-negative numbers summing to 1, got {fractions}")
    digest = hashlib.sha256(f"{salt}:{source}:{group}".encode()).digest()
    position = int.from_bytes(digest[:8], "big") / 2**64
    if position < fractions[0]:
        return "train"
    if position < fractions[0] + fractions[1]:
        return "dev"
    return "test"


def read_test_groups(path: Path = TEST_SPLIT_FILE) -> frozenset[tuple[str, str]]:
    """The (source, group) pairs of the frozen test split; empty when there is no such file."""
    if not path.exists():
        return frozenset()
    with path.open(encoding="utf-8", newline="") as handle:
        return frozenset((r["source"], r["group"]) for r in csv.DictReader(handle))


def corpus_split(source: str, group: str, test_groups: frozenset[tuple[str, str]]) -> str:
    """The split of a group: ``test`` when frozen there; otherwise dev or train by hash (a hashed test
    group outside the frozen list trains). Without a frozen list, the plain 80/10/10 hash split."""
    if not test_groups:
        return assign_split(source, group)
    if (source, group) in test_groups:
        return "test"
    return "dev" if assign_split(source, group) == "dev" else "train"
