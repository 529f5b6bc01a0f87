"""The report's demo input: the EUvsDisinfo claims as articles to score (built at run time, never stored).

    python -m scoring.report_demo --corpora DIR -o output/euvsdisinfo_claims.jsonl

One JSONL record per claim in ``DIR/euvsdisinfo/claim_titles.csv``: ``id`` and ``url`` the case's URL,
``text`` the claim's title, ``date``, ``source`` the outlets (joined with '+', as in the release: the
report splits them with ``--multi-sep +``) and ``lang`` "en": the titles are English summaries written by
EUvsDisinfo, whatever the language of the outlets that carried the claim.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from pathlib import Path

DEFAULT_CORPORA = Path(__file__).resolve().parents[2] / "shared" / "data"


def claims(corpora: Path):
    path = corpora / "euvsdisinfo" / "claim_titles.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path}: the EUvsDisinfo claims are not there (pass --corpora)")
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if not (row.get("title") or "").strip():
                continue
            yield {
                "id": row["id"],
                "url": row["id"],
                "text": row["title"],
                "date": row.get("date") or None,
                "source": row.get("outlets") or None,
                "lang": "en",
            }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scoring.report_demo", description=__doc__)
    default = os.environ.get("NARRATIVE_CORPORA") or str(DEFAULT_CORPORA)
    parser.add_argument("--corpora", type=Path, default=Path(default), help=f"corpora directory (default {default})")
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        records = list(claims(args.corpora))
    except FileNotFoundError as error:
        print(f"report_demo: {error}", file=sys.stderr)
        return 2
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with args.output.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"{args.output}: {len(records):,} claims")
    return 0


if __name__ == "__main__":
    sys.exit(main())
