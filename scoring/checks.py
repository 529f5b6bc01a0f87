"""What the article commands check before the model loads or the output is opened, and the one-line
messages they give when a run cannot proceed.

- ``check_first_records``: when the first ``limit`` records of the input are all errors of one kind
  (a dump whose lines hold ``body`` instead of ``text``, a file that is not JSONL), the run stops
  before it starts, with that error and the fields seen in those records. Reading stops at the
  first record that is not such an error, so a good input costs one record.
- ``model_choices``: what the store holds (registered models, a model's aliases and versions), for
  the message of a model URI that does not load.
"""

from __future__ import annotations

import re
from collections import Counter

from classifier.articles import validate_article
from scoring.readers import Source
from scoring.records import RunError

EARLY_STOP_RECORDS = 1_000  # default of --stop-after-errors
_WHERE = re.compile(r"^(line|row) \d+( on)?: ")
_FIELDS = re.compile(r" \(the record's fields: [^)]*\)$")


def error_kind(message: str) -> str:
    """The error without what differs from record to record: its line, numbers, the fields listed."""
    return re.sub(r"\d+", "#", _FIELDS.sub("", _WHERE.sub("", message)))


def record_error(item) -> str | None:
    """The error the record would get: the reader's, or the article check's; None for a good record."""
    if item.error is not None:
        return item.error
    try:
        validate_article(item.article)
    except ValueError as error:
        return str(error)
    return None


def check_first_records(source: Source, limit: int = EARLY_STOP_RECORDS) -> None:
    """Raise RunError when the first ``limit`` records are all errors of the same kind (0: no check)."""
    if limit < 1:
        return
    kind, first, count, fields = None, "", 0, Counter()
    for item in source.items():
        error = record_error(item)
        if error is None or (kind is not None and error_kind(error) != kind):
            return
        if kind is None:
            kind, first = error_kind(error), error
        count += 1
        if isinstance(item.article, dict):
            fields.update(str(key) for key in item.article)
        if count >= limit:
            seen = ", ".join(f"{name} ({n:,})" for name, n in sorted(fields.items())) or "none (no record parsed)"
            raise RunError(
                f"the first {count:,} records are all errors of one kind, e.g. {first!r}; fields seen in them: "
                f"{seen}; nothing was scored (--stop-after-errors 0 writes them as error records)"
            )


def model_choices(uri: str) -> str:
    """What the store holds that ``uri`` could have named, as a clause for an error message ('' if unknown)."""
    if not uri.startswith("models:/"):
        return ""
    from mlflow import MlflowClient

    from classifier.store import tracking_uri

    name = re.split(r"[@/]", uri.removeprefix("models:/"), maxsplit=1)[0]
    try:
        client = MlflowClient()
        names = sorted(model.name for model in client.search_registered_models())
        if name not in names:
            return f"; registered models in {tracking_uri()}: {', '.join(names) or 'none (train one: make train)'}"
        aliases = client.get_registered_model(name).aliases or {}
        versions = sorted(int(v.version) for v in client.search_model_versions(f"name='{name}'"))
    except Exception:  # noqa: BLE001 - the list is a help; the load error is the message
        return ""
    alias_text = ", ".join(f"@{alias} (version {version})" for alias, version in sorted(aliases.items())) or "none"
    return f"; {name} has aliases {alias_text} and versions {', '.join(map(str, versions)) or 'none'}"


def first_line(error: BaseException) -> str:
    """``Type: message`` on one line (the message's first non-empty line)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


def one_line_errors(command: str, body, args) -> int:
    """``body(args)``; an unexpected error is one line on stderr and exit 2, unless ``args.debug``."""
    import sys

    try:
        return body(args)
    except Exception as error:  # noqa: BLE001 - one line unless --debug
        if args.debug:
            raise
        print(f"{command}: {first_line(error)} (--debug shows the traceback)", file=sys.stderr)
        return 2
