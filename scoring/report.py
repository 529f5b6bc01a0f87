"""A narrative report over scored dumps: trends per label and stance, outlets, evidence, coverage.

    python -m scoring.report SCORES... -o report.html [--period auto|day|week|month]
        [--multi-sep SEP] [--evidence N] [--evidence-outlets N] [--min-articles N]
        [--min-chart-articles N] [--languages en,...] [--no-registry]

SCORES: outputs of ``python -m scoring.score`` (JSONL, ``.jsonl.gz``, or a Parquet directory/file),
with the pass-through fields ``date``, ``source`` (the outlet), ``lang``, ``url`` and ``title`` where
the input had them. Writes one self-contained HTML file (charts as inline SVG, sortable tables, no
network) and beside it the aggregates as ``<name>.aggregates.csv`` / ``.parquet`` and the outlet
ranking as ``<name>.outlets.csv``.

What it counts: an article *voices* or *reports* a framing by its verdict (``classifier.stance``);
shares are over the articles scored ``ok`` in the period and group. The period (day, week or month)
follows the span of the dates unless ``--period`` names one. Outlets are ranked by the share of their
articles that voice each framing, with a 95% Wilson interval. Evidence: the best-scoring paragraph of
the top articles per period, outlet and label. Coverage: records not scored (errors, by reason; empty
texts), undated records, and records in languages outside ``--languages`` (scored, but the model was
not validated on them).

Memory: two streaming passes over the records (the first for the counts and the date span, the
second for the evidence of the chosen periods); what is held is the aggregates and at most ``--evidence``
paragraphs per period, outlet and label, never the records.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import heapq
import html
import json
import math
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from classifier.labels import LABEL_SPECS, LABELS, reported_column
from classifier.stance import REPORTS, VOICES
from scoring.report_charts import STANCES, charts, column

ALL = "all"
UNDATED = "undated"
DIMENSIONS = ("all", "source", "lang")
FIELDS = ("id", "status", "error", "verdicts", "evidence", "model", "date", "source", "lang", "url", "title")
ASSETS = Path(__file__).resolve().parent / "report_assets"
MAX_ERROR_REASONS = 30


# --- reading ------------------------------------------------------------------------------------


def score_files(paths: list[Path]) -> list[Path]:
    """The files behind the inputs: JSONL files as given, a Parquet directory as its part files."""
    files = []
    for path in paths:
        if not path.exists():
            raise ReportError(f"{path}: no such file or directory")
        if path.is_dir():
            parts = sorted(path.glob("*.parquet"))
            if not parts:
                raise ReportError(f"{path}: a directory without Parquet parts")
            files += parts
        else:
            files.append(path)
    return files


def read_records(files: list[Path]) -> Iterator[dict]:
    """The scored records, one at a time, with the fields the report reads."""
    for path in files:
        name = path.name.lower()
        if name.endswith((".parquet", ".pq")):
            yield from _read_parquet(path)
        elif name.endswith((".jsonl", ".jsonl.gz", ".json", ".ndjson")):
            yield from _read_jsonl(path)
        else:
            raise ReportError(f"{path}: expected the JSONL or Parquet output of scoring.score")


def _read_jsonl(path: Path) -> Iterator[dict]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise ReportError(f"{path}:{number}: not a JSON record: {error}") from error
            if not isinstance(record, dict):
                raise ReportError(f"{path}:{number}: not a JSON object")
            yield record


def _read_parquet(path: Path) -> Iterator[dict]:
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(path)
    columns = [c for c in FIELDS if c in parquet.schema_arrow.names]
    for batch in parquet.iter_batches(batch_size=4096, columns=columns):
        for row in batch.to_pylist():
            if isinstance(row.get("verdicts"), list):  # an Arrow map comes back as (key, value) pairs
                row["verdicts"] = dict(row["verdicts"])
            for item in row.get("evidence") or []:
                for key in ("scores", "stances"):
                    if isinstance(item.get(key), list):
                        item[key] = dict(item[key])
            yield row


class ReportError(Exception):
    """The report cannot be made (exit status 2)."""


# --- periods ------------------------------------------------------------------------------------


def parse_date(value) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        return None


def choose_period(first: dt.date | None, last: dt.date | None) -> str:
    """Days for up to two months, weeks for up to two years, months beyond."""
    if first is None or last is None:
        return "month"
    days = (last - first).days
    if days <= 62:
        return "day"
    if days <= 731:
        return "week"
    return "month"


def period_of(day: dt.date | None, period: str) -> str:
    if day is None:
        return UNDATED
    if period == "day":
        return day.isoformat()
    if period == "week":
        return (day - dt.timedelta(days=day.weekday())).isoformat()
    return f"{day.year:04d}-{day.month:02d}"


def values_of(value, separator: str | None) -> list[str]:
    """A group field's values: the text, split on ``separator`` when one is given; '(unknown)' when absent."""
    if value is None or str(value).strip() == "":
        return ["(unknown)"]
    text = str(value).strip()
    if not separator:
        return [text]
    parts = [part.strip() for part in text.split(separator) if part.strip()]
    return parts or ["(unknown)"]


def wilson(successes: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% Wilson score interval of a share (wide when ``total`` is small)."""
    if total == 0:
        return 0.0, 1.0
    p = successes / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


# --- pass 1: counts -----------------------------------------------------------------------------

# Per (day, dimension, value): [articles ok, then voices and reports per label in LABELS order]; ``column``
# gives the index of a label's stance.
WIDTH = 1 + 2 * len(LABELS)


@dataclass
class Counts:
    separator: str | None = None
    languages: frozenset = frozenset()
    cells: dict = field(default_factory=lambda: defaultdict(lambda: [0] * WIDTH))
    status: Counter = field(default_factory=Counter)
    status_by_lang: dict = field(default_factory=lambda: defaultdict(Counter))
    errors: Counter = field(default_factory=Counter)
    models: Counter = field(default_factory=Counter)
    undated: int = 0
    other_language: int = 0
    first: dt.date | None = None
    last: dt.date | None = None

    def add(self, record: dict) -> None:
        status = record.get("status") or "unknown"
        self.status[status] += 1
        if record.get("model"):
            self.models[record["model"]] += 1
        langs = values_of(record.get("lang"), self.separator)
        for lang in langs:
            self.status_by_lang[lang][status] += 1
        if status == "error":
            self._error(str(record.get("error") or "unknown error"))
        if status != "ok":
            return
        if self.languages and not any(lang.lower() in self.languages for lang in langs if lang != "(unknown)"):
            if langs != ["(unknown)"]:
                self.other_language += 1
        day = parse_date(record.get("date"))
        if day is None:
            self.undated += 1
        else:
            self.first = day if self.first is None or day < self.first else self.first
            self.last = day if self.last is None or day > self.last else self.last
        verdicts = record.get("verdicts") or {}
        row = [1]
        for label in LABELS:
            verdict = verdicts.get(label)
            row += [int(verdict == VOICES), int(verdict == REPORTS)]
        groups = [(ALL, ALL)]
        groups += [("source", value) for value in values_of(record.get("source"), self.separator)]
        groups += [("lang", value) for value in langs]
        for dimension, value in groups:
            cell = self.cells[(day, dimension, value)]
            for index, count in enumerate(row):
                cell[index] += count

    def _error(self, message: str) -> None:
        reason = re.sub(r"\d[\d,.]*", "N", message)[:120]
        if reason in self.errors or len(self.errors) < MAX_ERROR_REASONS:
            self.errors[reason] += 1
        else:
            self.errors["(other reasons)"] += 1

    def rollup(self, period: str) -> dict:
        """The cells summed per (period, dimension, value)."""
        rolled: dict = defaultdict(lambda: [0] * WIDTH)
        for (day, dimension, value), cell in self.cells.items():
            target = rolled[(period_of(day, period), dimension, value)]
            for index, count in enumerate(cell):
                target[index] += count
        return rolled

    def totals(self, dimension: str) -> dict:
        """The cells summed over time per value of ``dimension``."""
        out: dict = defaultdict(lambda: [0] * WIDTH)
        for (_, dim, value), cell in self.cells.items():
            if dim == dimension:
                for index, count in enumerate(cell):
                    out[value][index] += count
        return out


def aggregate_rows(rolled: dict) -> list[dict]:
    """The long table of the aggregates: one row per period, group, label and stance."""
    rows = []
    for (period, dimension, value), cell in sorted(rolled.items()):
        for label in LABELS:
            for stance in STANCES:
                count = cell[column(label, stance)]
                rows.append(
                    {
                        "period": period,
                        "dimension": dimension,
                        "value": value,
                        "label": label,
                        "stance": stance,
                        "articles": cell[0],
                        "count": count,
                        "share": count / cell[0] if cell[0] else 0.0,
                    }
                )
    return rows


def outlet_rows(counts: Counts) -> list[dict]:
    """Outlets with their voicing and reporting shares per label, ranked by voicing share."""
    rows = []
    for outlet, cell in counts.totals("source").items():
        for label in LABELS:
            voices, reports = cell[column(label, VOICES)], cell[column(label, REPORTS)]
            low, high = wilson(voices, cell[0])
            rows.append(
                {
                    "outlet": outlet,
                    "label": label,
                    "articles": cell[0],
                    "voices": voices,
                    "voices_share": voices / cell[0] if cell[0] else 0.0,
                    "voices_low": low,
                    "voices_high": high,
                    "reports": reports,
                    "reports_share": reports / cell[0] if cell[0] else 0.0,
                }
            )
    rows.sort(key=lambda r: (r["label"], -r["voices_share"], -r["articles"], r["outlet"]))
    return rows


# --- pass 2: evidence ---------------------------------------------------------------------------


@dataclass
class Evidence:
    period: str
    per_group: int = 3
    separator: str | None = None
    outlets: frozenset | None = None  # the outlets to keep evidence for; None: every outlet
    heaps: dict = field(default_factory=lambda: defaultdict(list))
    seen: int = 0

    def add(self, record: dict) -> None:
        if record.get("status") != "ok" or not record.get("evidence"):
            return
        verdicts = record.get("verdicts") or {}
        when = period_of(parse_date(record.get("date")), self.period)
        for label in LABELS:
            stance = verdicts.get(label)
            if stance not in STANCES:
                continue
            best = _best_paragraph(record["evidence"], label, stance)
            if best is None:
                continue
            score, paragraph = best
            self.seen += 1
            item = (
                score,
                self.seen,  # ties: the earlier record first, and tuples never compare the dicts
                {
                    "period": when,
                    "label": label,
                    "stance": stance,
                    "score": score,
                    "id": str(record.get("id")),
                    "url": record.get("url"),
                    "title": record.get("title"),
                    "source": record.get("source"),
                    "lang": record.get("lang"),
                    "snippet": paragraph.get("snippet") or "",
                    "scores": paragraph.get("scores") or {},
                },
            )
            for outlet in values_of(record.get("source"), self.separator):
                if self.outlets is not None and outlet not in self.outlets:
                    continue
                heap = self.heaps[(when, outlet, label)]
                if len(heap) < self.per_group:
                    heapq.heappush(heap, (score, -self.seen, item[2]))
                elif score > heap[0][0]:
                    heapq.heapreplace(heap, (score, -self.seen, item[2]))

    def rows(self) -> list[dict]:
        out = []
        for (_, outlet, _), heap in sorted(self.heaps.items()):
            for score, _, item in sorted(heap, key=lambda entry: (-entry[0], -entry[1])):
                out.append({**item, "outlet": outlet, "score": score})
        return out


def _best_paragraph(evidence: list, label: str, stance: str):
    """The highest-scoring paragraph that carries the article's stance on ``label``."""
    wanted = "voiced" if stance == VOICES else "reported"
    key = label if stance == VOICES else reported_column(label)
    best = None
    for paragraph in evidence:
        if (paragraph.get("stances") or {}).get(label) != wanted:
            continue
        score = float((paragraph.get("scores") or {}).get(key, 0.0) or 0.0)
        if best is None or score > best[0]:
            best = (score, paragraph)
    return best


# --- the model's measured quality ---------------------------------------------------------------


def model_quality(model: str) -> dict:
    """The registry's facts about ``model`` ("name/version"): its kind, aliases and test metrics."""
    from classifier.store import use_store

    name, _, version = model.rpartition("/")
    if not name or not version.isdigit():
        return {"model": model, "note": "not a registered model version; no measured quality"}
    try:
        use_store()
        from mlflow import MlflowClient

        client = MlflowClient()
        entry = client.get_model_version(name, version)
        metrics = client.get_run(entry.run_id).data.metrics if entry.run_id else {}
    except Exception as error:  # noqa: BLE001 - the header says the registry could not be read
        return {"model": model, "note": f"registry not readable: {type(error).__name__}: {error}"}
    return {
        "model": model,
        "kind": (entry.tags or {}).get("model_kind"),
        "aliases": list(getattr(entry, "aliases", []) or []),
        "run_id": entry.run_id,
        "metrics": quality_metrics(metrics),
    }


# Measured on the gold split by training: overall, per source, and the stance judgements per label.
QUALITY = re.compile(
    r"^gold/(macro_f1|judgement/(voiced|reported)_macro_f1|judgement/[a-z_]+/(voiced_f1|reported_f1|reported_as_voiced)"
    r"|[a-z_]+/pr_auc|[a-z0-9_]+/macro_f1)$"
)


def quality_metrics(metrics: dict) -> dict:
    """The run's headline metrics: name -> (value, low, high); the interval is None where none was logged."""
    return {
        key: (value, metrics.get(f"{key}_low"), metrics.get(f"{key}_high"))
        for key, value in sorted(metrics.items())
        if QUALITY.match(key)
    }


# --- rendering ----------------------------------------------------------------------------------


def render_html(report: dict) -> str:
    template = (ASSETS / "report.html").read_text(encoding="utf-8")
    parts = {
        "TITLE": html.escape(report["title"]),
        "STYLE": (ASSETS / "report.css").read_text(encoding="utf-8"),
        "SCRIPT": (ASSETS / "report.js").read_text(encoding="utf-8"),
        "HEADER": _header(report),
        "COVERAGE": _coverage(report),
        "CHARTS": charts(report),
        "OUTLETS": _outlets(report),
        "EVIDENCE": _evidence(report),
    }
    for key, value in parts.items():
        template = template.replace("{{" + key + "}}", value)
    return template


def _e(value) -> str:
    return html.escape("" if value is None else str(value))


def _table(headers: list[str], rows: list[list], numeric: set[int] = frozenset(), table_id: str = "") -> str:
    head = "".join(
        f'<th data-type="{"number" if i in numeric else "text"}" tabindex="0">{_e(h)}</th>'
        for i, h in enumerate(headers)
    )
    body = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            if isinstance(cell, tuple):  # (sort value, html)
                cells.append(f'<td data-value="{_e(cell[0])}">{cell[1]}</td>')
            elif i in numeric:
                cells.append(f'<td data-value="{_e(cell)}" class="num">{_e(cell)}</td>')
            else:
                cells.append(f"<td>{_e(cell)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    attribute = f' id="{table_id}"' if table_id else ""
    return f'<table class="sortable"{attribute}><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _percent(value: float) -> tuple:
    return (f"{value:.6f}", f"{100 * value:.1f}%")


def _header(report: dict) -> str:
    counts: Counts = report["counts"]
    span = f"{counts.first} to {counts.last}" if counts.first else "no dates"
    lines = [
        f"<p><b>{sum(counts.status.values()):,}</b> records from {_e(', '.join(report['inputs']))}; "
        f"dates {span}; period: <b>{_e(report['period'])}</b>.</p>"
    ]
    for quality in report["quality"]:
        line = f"<p>Model <b>{_e(quality['model'])}</b>"
        if quality.get("kind"):
            line += f" ({_e(quality['kind'])})"
        if quality.get("aliases"):
            line += f", aliases {_e(', '.join(quality['aliases']))}"
        if quality.get("note"):
            line += f": {_e(quality['note'])}"
        line += f"; {counts.models.get(quality['model'], 0):,} records.</p>"
        lines.append(line)
        if quality.get("metrics"):
            rows = [
                [key, (f"{value:.6f}", f"{value:.3f}"), "" if low is None else f"{low:.3f}–{high:.3f}"]
                for key, (value, low, high) in quality["metrics"].items()
            ]
            headline = quality["metrics"].get("gold/judgement/voiced_macro_f1") or quality["metrics"].get(
                "gold/macro_f1"
            )
            summary = "Measured quality (registry: the training run's metrics on the gold split)"
            if headline:
                summary += f": voiced macro F1 {headline[0]:.3f}"
            lines.append(f'<details class="quality"><summary>{summary}</summary>')
            lines.append(_table(["metric", "value", "95% interval"], rows, {1}) + "</details>")
    return "\n".join(lines)


def _coverage(report: dict) -> str:
    counts: Counts = report["counts"]
    total = sum(counts.status.values()) or 1
    ok = counts.status.get("ok", 0)
    items = [
        f"<li><b>{counts.status.get(status, 0):,}</b> {status} ({100 * counts.status.get(status, 0) / total:.1f}%)</li>"
        for status in ("ok", "empty", "error")
    ]
    items.append(f"<li><b>{counts.undated:,}</b> scored records without a usable date (shown as '{UNDATED}')</li>")
    if report["languages"]:
        items.append(
            f"<li><b>{counts.other_language:,}</b> of the {ok:,} scored records are in languages outside "
            f"{_e(', '.join(sorted(report['languages'])))}, on which the model was not validated</li>"
        )
    parts = ["<ul>" + "".join(items) + "</ul>"]
    if counts.errors:
        rows = [[reason, count] for reason, count in counts.errors.most_common()]
        parts.append("<h3>Errors by reason</h3>" + _table(["reason", "records"], rows, {1}, "errors"))
    rows = []
    for lang, statuses in sorted(counts.status_by_lang.items(), key=lambda kv: -sum(kv[1].values())):
        rows.append([lang, statuses.get("ok", 0), statuses.get("empty", 0), statuses.get("error", 0)])
    parts.append(
        "<h3>Records per language</h3>" + _table(["language", "ok", "empty", "error"], rows, {1, 2, 3}, "langs")
    )
    return "\n".join(parts)


def _outlets(report: dict) -> str:
    sections = []
    for spec in LABEL_SPECS:
        rows = []
        for row in report["outlets"]:
            if row["label"] != spec.name or row["articles"] < report["min_articles"]:
                continue
            interval = f"{100 * row['voices_low']:.1f}–{100 * row['voices_high']:.1f}%"
            rows.append(
                [
                    row["outlet"],
                    row["articles"],
                    row["voices"],
                    _percent(row["voices_share"]),
                    (f"{row['voices_high'] - row['voices_low']:.6f}", interval),
                    row["reports"],
                    _percent(row["reports_share"]),
                ]
            )
        sections.append(
            f"<h3>{_e(spec.title)}</h3>"
            + _table(
                ["outlet", "articles", "voices", "voices share", "95% interval", "reports", "reports share"],
                rows,
                {1, 2, 3, 4, 5, 6},
                f"outlets-{spec.name}",
            )
        )
    note = (
        f"<p>Outlets with at least {report['min_articles']} scored articles; click a column to sort. "
        "The interval is Wilson's: few articles, wide interval.</p>"
    )
    return note + "\n".join(sections)


def _evidence(report: dict) -> str:
    titles = {spec.name: spec.title for spec in LABEL_SPECS}
    rows = []
    for row in report["evidence"]:
        link = _e(row["title"] or row["id"])
        if row.get("url"):
            link = f'<a href="{_e(row["url"])}" rel="noopener noreferrer">{link}</a>'
        rows.append(
            [
                row["period"],
                row["outlet"],
                titles[row["label"]],
                row["stance"],
                (f"{row['score']:.6f}", f"{row['score']:.2f}"),
                (row["id"], link),
                row["snippet"],
            ]
        )
    outlets = (
        "every outlet"
        if report["evidence_outlets"] <= 0
        else f"the {report['evidence_outlets']} outlets with the most scored articles"
    )
    note = (
        f"<p>Per period, outlet and framing, the {report['per_group']} articles with the highest-scoring "
        f"paragraph behind their verdict, for {outlets}.</p>"
    )
    return note + _table(
        ["period", "outlet", "framing", "stance", "score", "article", "paragraph"], rows, {4}, "evidence-table"
    )


# --- the run ------------------------------------------------------------------------------------


def build_report(
    inputs: list[Path],
    period: str = "auto",
    separator: str | None = None,
    per_group: int = 3,
    languages: tuple[str, ...] = (),
    registry: bool = True,
    min_articles: int = 1,
    title: str = "Narrative report",
    evidence_outlets: int = 15,
    min_chart_articles: int = 5,
) -> dict:
    files = score_files(inputs)
    counts = Counts(separator=separator, languages=frozenset(lang.lower() for lang in languages))
    for record in read_records(files):
        counts.add(record)
    if not counts.status:
        raise ReportError("no records in the inputs")
    chosen = choose_period(counts.first, counts.last) if period == "auto" else period
    by_articles = sorted(counts.totals("source").items(), key=lambda kv: (-kv[1][0], kv[0]))
    kept = None if evidence_outlets <= 0 else frozenset(name for name, _ in by_articles[:evidence_outlets])
    evidence = Evidence(chosen, per_group, separator, kept)
    for record in read_records(files):
        evidence.add(record)
    quality = [
        model_quality(model) if registry else {"model": model, "note": "registry not read (--no-registry)"}
        for model, _ in counts.models.most_common()
    ]
    rolled = counts.rollup(chosen)
    return {
        "title": title,
        "inputs": [str(p) for p in inputs],
        "period": chosen,
        "counts": counts,
        "rolled": rolled,
        "aggregates": aggregate_rows(rolled),
        "outlets": outlet_rows(counts),
        "evidence": evidence.rows(),
        "per_group": per_group,
        "quality": quality,
        "languages": tuple(languages),
        "min_articles": min_articles,
        "evidence_outlets": evidence_outlets,
        "min_chart_articles": min_chart_articles,
    }


def write_report(report: dict, output: Path) -> list[Path]:
    import pandas as pd

    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render_html(report), encoding="utf-8")
    stem = output.with_suffix("")
    aggregates = pd.DataFrame(report["aggregates"])
    aggregates.to_csv(f"{stem}.aggregates.csv", index=False)
    aggregates.to_parquet(f"{stem}.aggregates.parquet", index=False)
    pd.DataFrame(report["outlets"]).to_csv(f"{stem}.outlets.csv", index=False)
    return [output, Path(f"{stem}.aggregates.csv"), Path(f"{stem}.aggregates.parquet"), Path(f"{stem}.outlets.csv")]


def parse_args(argv: list[str] | None):
    parser = argparse.ArgumentParser(
        prog="python -m scoring.report", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("inputs", nargs="+", type=Path, metavar="SCORES", help="scoring.score outputs (JSONL/Parquet)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="the HTML report to write")
    parser.add_argument("--period", choices=("auto", "day", "week", "month"), default="auto")
    parser.add_argument("--multi-sep", help="split source and lang on this separator (an article counts for each)")
    parser.add_argument("--evidence", type=int, default=3, help="evidence articles per period, outlet, label")
    parser.add_argument(
        "--evidence-outlets", type=int, default=15, help="evidence for the N outlets with most articles (0: all)"
    )
    parser.add_argument("--min-articles", type=int, default=1, help="outlet table: leave out outlets with fewer")
    parser.add_argument(
        "--min-chart-articles", type=int, default=5, help="charts: no share point for a period with fewer articles"
    )
    parser.add_argument(
        "--languages", default="en,english", help="comma-separated languages the model was validated on ('' for any)"
    )
    parser.add_argument("--no-registry", action="store_true", help="do not read the model's quality from MLflow")
    parser.add_argument("--title", default="Narrative report")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    languages = tuple(lang.strip() for lang in args.languages.split(",") if lang.strip())
    try:
        report = build_report(
            args.inputs,
            period=args.period,
            separator=args.multi_sep,
            per_group=args.evidence,
            languages=languages,
            registry=not args.no_registry,
            min_articles=args.min_articles,
            title=args.title,
            evidence_outlets=args.evidence_outlets,
            min_chart_articles=args.min_chart_articles,
        )
    except ReportError as error:
        print(f"report: {error}", file=sys.stderr)
        return 2
    written = write_report(report, args.output)
    counts: Counts = report["counts"]
    print(
        f"{args.output}: {sum(counts.status.values()):,} records ({counts.status.get('ok', 0):,} ok), "
        f"period {report['period']}, {len(report['rolled']):,} period groups, {len(report['evidence']):,} evidence rows; "
        f"also {', '.join(str(p) for p in written[1:])}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
