"""Score a few articles and print each one's verdicts: ``make predict`` / ``make example``.

    python -m scoring.predict INPUT -o OUTPUT.jsonl [--model models:/narrative-classifier@champion]

The same run as ``python -m scoring.score`` (same readers, ids, errors and records; see its help),
with a line per article on standard output. Exit status: 0 every record scored, 1 some records are
errors, 2 the run could not proceed.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

from classifier.store import DEFAULT_MODEL_URI
from scoring.checks import EARLY_STOP_RECORDS, check_first_records, one_line_errors
from scoring.local import run
from scoring.outputs import prepare
from scoring.readers import InputError, Source
from scoring.records import RunError
from scoring.score import load_scorer


def verdict_line(record: dict) -> str:
    """``  <id>: <status>`` and the verdicts, or the error."""
    verdicts = ", ".join(f"{label} {verdict}" for label, verdict in record["verdicts"].items())
    if verdicts:
        return f"  {record['id']}: {record['status']} ({verdicts})"
    if record["status"] == "error":
        return f"  {record['id']}: error: {record.get('error', '')}"
    return f"  {record['id']}: {record['status']}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "input", type=Path, help="JSONL (one article a line: id, text, optional title) or any input of scoring.score"
    )
    parser.add_argument("-o", "--output", type=Path, required=True, help="JSONL output, one line per input record")
    parser.add_argument("--model", default=DEFAULT_MODEL_URI, help=f"MLflow model URI (default {DEFAULT_MODEL_URI})")
    parser.add_argument(
        "--stop-after-errors",
        type=int,
        default=EARLY_STOP_RECORDS,
        metavar="N",
        help=f"stop before scoring when the first N records are all errors of one kind (default {EARLY_STOP_RECORDS:,}; 0: never)",
    )
    parser.add_argument("--debug", action="store_true", help="show the traceback of an unexpected error")
    args = parser.parse_args(argv)
    return one_line_errors("predict", _main, args)


def _main(args) -> int:
    try:
        # every run-level failure shows before the model loads or the output is touched
        check_first_records(Source([args.input]), args.stop_after_errors)
        prepared = prepare(args.output, resume=False)
        try:
            scorer = load_scorer(args.model, "predict")
        except BaseException:
            prepared.lock.release()
            raise
        total, _ = run([args.input], args.output, scorer, log=io.StringIO(), prepared=prepared)
    except (RunError, InputError) as error:
        print(f"predict: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"predict: cannot write {error.filename or args.output}: {error.strerror or error}", file=sys.stderr)
        return 2
    unsupported = f", {total.unsupported_language} in unsupported languages" if total.unsupported_language else ""
    print(
        f"{args.output}: {total.read} read, {total.ok} ok, {total.empty} empty, {total.error} error{unsupported}"
        f" ({scorer.name})"
    )
    with args.output.open(encoding="utf-8") as handle:
        for line in handle:
            print(printable(verdict_line(json.loads(line))))
    return 1 if total.error else 0


def printable(line: str) -> str:
    """The line as the terminal can take it: a lone surrogate (from a JSON escape in an id) becomes U+FFFD."""
    return line.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


if __name__ == "__main__":
    sys.exit(main())
