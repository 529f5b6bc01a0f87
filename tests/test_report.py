"""The narrative report: pass-through fields, aggregates, outlets, evidence, coverage, HTML in Chromium."""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from classifier.articles import PASS_THROUGH, Scorer, score_articles
from classifier.labels import LABELS, REPORTED_COLUMNS
from scoring import local, report, report_demo

CONSPIRACY, ANTI_FOREIGN = LABELS
COLUMNS = list(LABELS) + list(REPORTED_COLUMNS)


def keyword_scorer() -> Scorer:
    """A stand-in model: 'plot' voices conspiracy framing, 'alleged plot' reports it, 'foreign' voices the other."""

    def predict(frame: pd.DataFrame) -> pd.DataFrame:
        rows = []
        for text in frame["text"]:
            lower = text.lower()
            reported = "alleged plot" in lower
            rows.append(
                {
                    CONSPIRACY: 0.9 if "plot" in lower and not reported else 0.1,
                    ANTI_FOREIGN: 0.8 if "foreign" in lower else 0.1,
                    REPORTED_COLUMNS[0]: 0.9 if reported else 0.1,
                    REPORTED_COLUMNS[1]: 0.1,
                }
            )
        return pd.DataFrame(rows, index=frame.index)

    return Scorer(predict, COLUMNS, dict.fromkeys(COLUMNS, 0.5), "narrative-classifier/7")


def synthetic_records(count: int, seed: int = 0, start: dt.date = dt.date(2019, 1, 1), days: int = 730):
    """Invented scored records in the output schema of scoring.score (no corpus text)."""
    rng = random.Random(seed)
    outlets = [f"outlet-{k:03d}" for k in range(200)]
    langs = ["en", "ru", "de", "es", "fr", "pl"]
    words = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima".split()
    for number in range(count):
        roll = rng.random()
        record = {
            "id": f"syn-{number}",
            "status": "ok",
            "scores": {},
            "flags": {},
            "verdicts": {},
            "evidence": [],
            "model": "narrative-classifier/7",
            "title": f"Invented title {number}",
            "url": f"https://example.org/a/{number}",
            "date": (start + dt.timedelta(days=rng.randrange(days))).isoformat(),
            "source": outlets[min(int(rng.expovariate(0.05)), len(outlets) - 1)],
            "lang": rng.choice(langs),
        }
        if roll < 0.01:
            record.update(status="error", error=f"line {number}: not valid JSON")
        elif roll < 0.02:
            record["status"] = "empty"
        else:
            scores = {c: round(rng.random(), 4) for c in COLUMNS}
            record["scores"] = scores
            record["flags"] = {c: scores[c] >= 0.5 for c in COLUMNS}
            for label in LABELS:
                verdict = rng.choices(["voices", "reports", "none"], [0.1, 0.05, 0.85])[0]
                record["verdicts"][label] = verdict
                if verdict != "none":
                    record["evidence"].append(
                        {
                            "index": 0,
                            "field": "text",
                            "start": 0,
                            "end": 60,
                            "scores": scores,
                            "stances": {label: "voiced" if verdict == "voices" else "reported"},
                            "snippet": " ".join(rng.choice(words) for _ in range(12)),
                        }
                    )
        yield record


def write_jsonl(path: Path, records) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")
    return path


# --- pass-through -------------------------------------------------------------------------------


def test_input_fields_pass_through_to_records():
    articles = [
        {"id": "a", "text": "A plot.", "url": "https://x.org/a", "date": dt.date(2020, 5, 1), "source": "Outlet A"},
        {"id": "b", "text": "Nothing here.", "lang": "en", "title": "Title B"},
        {"id": "c", "text": 5, "url": "https://x.org/c"},  # an error record keeps the fields too
    ]
    first, second, third = score_articles(articles, keyword_scorer())
    assert (first["url"], first["date"], first["source"], first["lang"]) == (
        "https://x.org/a",
        "2020-05-01",
        "Outlet A",
        None,
    )
    assert (second["title"], second["lang"], second["url"]) == ("Title B", "en", None)
    assert third["status"] == "error" and third["url"] == "https://x.org/c"
    assert all(set(PASS_THROUGH) <= set(record) for record in (first, second, third))


@pytest.mark.parametrize("suffix", ["jsonl", "parquet"])
def test_score_outputs_carry_pass_through_fields(tmp_path, suffix):
    source = write_jsonl(
        tmp_path / "in.jsonl",
        [
            {"id": "a", "text": "A plot.", "url": "https://x.org/a", "date": "2020-05-01", "source": "A", "lang": "en"},
            {"id": "b", "text": ""},
            "not a record",
        ],
    )
    out = tmp_path / f"scores.{suffix}"
    local.run([source], out, keyword_scorer(), log=io.StringIO())
    records = list(report.read_records(report.score_files([out])))
    assert [r["status"] for r in records] == ["ok", "empty", "error"]
    assert (records[0]["url"], records[0]["date"], records[0]["source"], records[0]["lang"]) == (
        "https://x.org/a",
        "2020-05-01",
        "A",
        "en",
    )
    assert records[1]["url"] is None and records[1]["verdicts"] == {}


# --- periods, intervals, aggregates -------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "period"), [(0, "day"), (62, "day"), (63, "week"), (731, "week"), (732, "month"), (None, "month")]
)
def test_period_follows_the_span(days, period):
    first = dt.date(2020, 1, 1)
    last = None if days is None else first + dt.timedelta(days=days)
    assert report.choose_period(first if days is not None else None, last) == period


def test_period_keys():
    day = dt.date(2020, 3, 5)  # a Thursday
    assert report.period_of(day, "day") == "2020-03-05"
    assert report.period_of(day, "week") == "2020-03-02"
    assert report.period_of(day, "month") == "2020-03"
    assert report.period_of(None, "week") == report.UNDATED
    assert report.parse_date("2020-03-05T10:00:00Z") == day
    assert report.parse_date("last week") is None


def test_wilson_interval_is_wide_for_few_articles():
    low_few, high_few = report.wilson(1, 2)
    low_many, high_many = report.wilson(500, 1000)
    assert low_few < 0.5 < high_few and high_few - low_few > 0.5
    assert high_many - low_many < 0.07
    assert report.wilson(0, 10)[0] == 0.0 and report.wilson(0, 0) == (0.0, 1.0)


def small_records() -> list[dict]:
    scorer = keyword_scorer()
    articles = [
        {"id": "1", "text": "A plot by elites.", "date": "2020-01-03", "source": "A+B", "lang": "en", "url": "u1"},
        {"id": "2", "text": "An alleged plot, say critics.", "date": "2020-01-20", "source": "A", "lang": "en"},
        {"id": "3", "text": "Rain on Monday.", "date": "2020-02-11", "source": "B", "lang": "ru"},
        {"id": "4", "text": "Foreign agents and a plot.", "date": "2020-04-12", "source": "B", "lang": "ru"},
        {"id": "5", "text": "A plot.", "source": "C"},  # undated
        {"id": "6", "text": "", "date": "2020-02-01", "source": "A"},
    ]
    records = [dict(r) for r in score_articles(articles, scorer)]
    records.append({"id": "7", "status": "error", "error": "line 7: not valid JSON", "model": scorer.name})
    return [{k: v for k, v in r.items() if k != "paragraphs"} for r in records]


def test_counts_shares_and_coverage(tmp_path):
    path = write_jsonl(tmp_path / "scores.jsonl", small_records())
    built = report.build_report([path], separator="+", registry=False, languages=("en",))
    assert built["period"] == "week"  # 2020-01-03 .. 2020-04-12
    counts = built["counts"]
    assert dict(counts.status) == {"ok": 5, "empty": 1, "error": 1}
    assert counts.undated == 1 and counts.other_language == 2
    assert counts.errors == {"line N: not valid JSON": 1}
    rows = pd.DataFrame(built["aggregates"])
    voiced = rows[(rows.dimension == "all") & (rows.label == CONSPIRACY) & (rows.stance == "voices")]
    by_period = dict(zip(voiced.period, zip(voiced.articles, voiced["count"])))
    assert by_period == {
        "2019-12-30": (1, 1),
        "2020-01-20": (1, 0),
        "2020-02-10": (1, 0),
        "2020-04-06": (1, 1),
        "undated": (1, 1),
    }
    reported = rows[(rows.dimension == "all") & (rows.label == CONSPIRACY) & (rows.stance == "reports")]
    assert reported["count"].sum() == 1
    outlets = {(r["outlet"], r["label"]): r for r in built["outlets"]}
    # article 1 counts for both A and B (source "A+B" split on '+')
    assert (outlets[("A", CONSPIRACY)]["articles"], outlets[("A", CONSPIRACY)]["voices"]) == (2, 1)
    assert (outlets[("B", CONSPIRACY)]["articles"], outlets[("B", CONSPIRACY)]["voices"]) == (3, 2)
    assert outlets[("B", ANTI_FOREIGN)]["voices"] == 1
    ranked = [r["outlet"] for r in built["outlets"] if r["label"] == CONSPIRACY]
    assert ranked == ["C", "B", "A"]  # by voicing share: 1/1, 2/3, 1/2


def test_evidence_keeps_the_top_articles_per_period_outlet_and_label(tmp_path):
    records = list(synthetic_records(3000, seed=3))
    path = write_jsonl(tmp_path / "scores.jsonl", records)
    built = report.build_report([path], period="month", per_group=2, registry=False, evidence_outlets=0)
    evidence = pd.DataFrame(built["evidence"])
    assert evidence.groupby(["period", "outlet", "label"]).size().max() == 2
    # the kept rows are the best of their group
    frame = [
        (report.period_of(report.parse_date(r["date"]), "month"), r["source"], label, r["scores"][label])
        for r in records
        if r["status"] == "ok"
        for label in LABELS
        if r["verdicts"][label] == "voices"
    ]
    voiced = pd.DataFrame(frame, columns=["period", "outlet", "label", "score"])
    group = voiced.groupby(["period", "outlet", "label"])["score"].max().idxmax()
    kept = evidence[(evidence.period == group[0]) & (evidence.outlet == group[1]) & (evidence.label == group[2])]
    assert kept["score"].max() == pytest.approx(voiced.groupby(["period", "outlet", "label"])["score"].max().max())

    few = report.build_report([path], period="month", per_group=2, registry=False, evidence_outlets=3)
    sizes = pd.Series([r["source"] for r in records if r["status"] == "ok"]).value_counts()
    top = sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    assert set(pd.DataFrame(few["evidence"]).outlet) == {name for name, _ in top}


def test_parquet_and_jsonl_inputs_give_the_same_report(tmp_path):
    scorer = keyword_scorer()
    articles = [
        {
            "id": str(k),
            "text": ["A plot.", "Foreign plot.", "An alleged plot.", ""][k % 4],
            "date": f"2020-01-{k + 1:02d}",
        }
        for k in range(12)
    ]
    source = write_jsonl(tmp_path / "in.jsonl", articles)
    local.run([source], tmp_path / "s.jsonl", scorer, log=io.StringIO())
    local.run([source], tmp_path / "s.parquet", scorer, log=io.StringIO())
    a = report.build_report([tmp_path / "s.jsonl"], registry=False)
    b = report.build_report([tmp_path / "s.parquet"], registry=False)
    assert a["aggregates"] == b["aggregates"] and a["evidence"] == b["evidence"]
    assert a["period"] == "day"


def test_report_files_are_self_contained(tmp_path):
    path = write_jsonl(tmp_path / "scores.jsonl", small_records())
    assert report.main([str(path), "-o", str(tmp_path / "r.html"), "--no-registry", "--multi-sep", "+"]) == 0
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert page.count("<svg") >= 3 and page.count('class="sortable"') >= 4
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", page)  # nothing fetched: no CDN, no files
    assert "{{" not in page
    aggregates = pd.read_csv(tmp_path / "r.aggregates.csv")
    assert set(aggregates.columns) >= {"period", "dimension", "value", "label", "stance", "articles", "count"}
    assert pd.read_parquet(tmp_path / "r.aggregates.parquet").shape == aggregates.shape
    assert (tmp_path / "r.outlets.csv").exists()


def test_missing_input_is_an_error(tmp_path, capsys):
    assert report.main([str(tmp_path / "nothing.jsonl"), "-o", str(tmp_path / "r.html"), "--no-registry"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_demo_input_from_claims(tmp_path):
    base = tmp_path / "euvsdisinfo"
    base.mkdir()
    (base / "claim_titles.csv").write_text(
        "date,id,title,countries,keywords,languages,outlets\n"
        "2020-09-30,https://e.eu/report/a/,An invented claim,US,Coup,Spanish+Castilian,RT Spanish\n"
        "2020-09-29,https://e.eu/report/b/,,US,Coup,English,X\n"
    )
    out = tmp_path / "claims.jsonl"
    assert report_demo.main(["--corpora", str(tmp_path), "-o", str(out)]) == 0
    (record,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert record == {
        "id": "https://e.eu/report/a/",
        "url": "https://e.eu/report/a/",
        "text": "An invented claim",
        "date": "2020-09-30",
        "source": "RT Spanish",
        "lang": "en",  # the titles are English summaries, whatever the outlets' languages
    }


# --- the page in a browser ----------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def open_in_chromium(page: Path, profile: Path) -> tuple[str, str]:
    """The DOM after scripts ran, and Chromium's log (console messages included)."""
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.stdout, done.stderr


def console_errors(log: str) -> list[str]:
    return [line for line in log.splitlines() if "CONSOLE" in line and ("ERROR" in line or "Uncaught" in line)]


@pytest.mark.chromium
@pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (Debian: apt-get install chromium); not installed")
def test_report_renders_in_chromium(tmp_path):
    path = write_jsonl(tmp_path / "scores.jsonl", list(synthetic_records(400, seed=1)))
    assert report.main([str(path), "-o", str(tmp_path / "r.html"), "--no-registry"]) == 0
    dom, log = open_in_chromium(tmp_path / "r.html", tmp_path / "profile")
    assert 'data-report-ready="1"' in dom  # the page's script ran to its end
    assert dom.count("<svg") >= 7 and dom.count('class="sortable"') >= 4
    assert "<td" in dom and "outlet-000" in dom
    assert console_errors(log) == []

    # the check sees a broken page's console error
    broken = tmp_path / "broken.html"
    broken.write_text("<!DOCTYPE html><html><body><script>undefinedFunction();</script></body></html>")
    _, log = open_in_chromium(broken, tmp_path / "profile2")
    assert console_errors(log)
