"""PAN 2024 Oppositional Thinking Analysis: Telegram messages, CONSPIRACY or CRITICAL (CC BY-SA 4.0).

A message is one unit: its class speaks to conspiracy framing only (CRITICAL messages criticise without a
secret plot), so anti-foreign rhetoric is left unknown. Messages are taken not to report on a narrative from a
distance (the ``*_reported`` outputs get negatives).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from classifier.labels import LABELS
from data.mapping import pan_labels
from data.sources import Row, require

NAME = "pan2024"
FILES = {"en": "dataset_en_test_half.json", "es": "dataset_es_test.json"}


def load(root: Path) -> Iterator[Row]:
    base = require(root / "pan2024_oppositional", "PAN 2024 directory")
    for lang, file_name in FILES.items():
        path = base / file_name
        if not path.exists():
            continue
        for record in json.loads(path.read_text(encoding="utf-8")):
            text = (record.get("text") or "").strip()
            if not text:
                continue
            yield Row(
                source=NAME,
                lang=lang,
                doc_id=f"{lang}:{record['id']}",
                index=0,
                start=0,
                end=len(text),
                text=text,
                origin="message",
                labels=pan_labels(record["category"]),
                reported={label: 0.0 for label in LABELS},
            )
