"""Article-grouped train/dev/test assignment.

A group (a source article, a EUvsDisinfo case, a PAN message) goes to one split, chosen by a hash of its
source and id: stable when the corpora grow, identical on every machine, and independent of row order.
"""

from __future__ import annotations

import hashlib

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
