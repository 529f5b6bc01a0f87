"""The report's charts: matplotlib figures rendered as inline SVG (text kept as text, no network)."""

from __future__ import annotations

import datetime as dt
import io

from classifier.labels import LABEL_SPECS, LABELS
from classifier.stance import REPORTS, VOICES

TOP_GROUPS = 6
STANCES = (VOICES, REPORTS)


def column(label: str, stance: str) -> int:
    """The index of a label's stance count in an aggregate cell: [articles, voices/reports per label...]."""
    return 1 + 2 * LABELS.index(label) + STANCES.index(stance)


def charts(report: dict) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rolled = report["rolled"]
    periods = sorted({p for p, _, _ in rolled if p != "undated"})
    if not periods:
        return "<p>No dated records: no time series.</p>"
    x = [_as_date(p) for p in periods]
    least = report.get("min_chart_articles", 1)
    out = []
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "report", "font.size": 9}):
        overall = [rolled.get((p, "all", "all"), [0])[0] for p in periods]
        fig, ax = plt.subplots(figsize=(10, 2.2))
        ax.bar(x, overall, width=_width(report["period"]), color="#888888")
        ax.set_ylabel("articles scored")
        ax.set_title(f"Articles per {report['period']}")
        out.append(_figure("volume", fig))
        for spec in LABEL_SPECS:
            fig, ax = plt.subplots(figsize=(10, 2.8))
            for stance, colour in ((VOICES, "#c0392b"), (REPORTS, "#2980b9")):
                shares = [_share(rolled.get((p, "all", "all")), column(spec.name, stance), least) for p in periods]
                ax.plot(x, shares, marker=".", color=colour, label=stance)
            ax.set_ylabel("share of articles")
            ax.set_title(
                f"{spec.title}: articles that voice or report it, all outlets (periods with {least}+ articles)"
            )
            ax.legend(loc="upper left")
            ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
            out.append(_figure(f"trend-{spec.name}", fig))
            for dimension, noun in (("source", "outlet"), ("lang", "language")):
                groups = _top_groups(report["counts"].totals(dimension))
                if not groups:
                    continue
                fig, ax = plt.subplots(figsize=(10, 2.8))
                for group in groups:
                    shares = [
                        _share(rolled.get((p, dimension, group)), column(spec.name, VOICES), least) for p in periods
                    ]
                    ax.plot(x, shares, marker=".", label=group[:30])
                ax.set_ylabel("share voicing")
                ax.set_title(
                    f"{spec.title}: share of articles voicing it, top {len(groups)} {noun}s by articles "
                    f"(periods with {least}+ articles)"
                )
                ax.legend(loc="upper left", fontsize=7, ncol=2)
                ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
                out.append(_figure(f"{dimension}-{spec.name}", fig))
    return "\n".join(out)


def _top_groups(totals: dict) -> list[str]:
    ranked = sorted(((cell[0], name) for name, cell in totals.items() if name != "(unknown)"), reverse=True)
    return [name for articles, name in ranked[:TOP_GROUPS] if articles > 0]


def _share(cell, index: int, least: int = 1):
    if not cell or not cell[0] or cell[0] < least:
        return float("nan")  # too few articles in that period: a gap, not a zero
    return cell[index] / cell[0]


def _as_date(period: str) -> dt.date:
    return dt.date.fromisoformat(period if len(period) == 10 else period + "-01")


def _width(period: str) -> float:
    return {"day": 0.8, "week": 5.5, "month": 25.0}[period]


def _figure(name: str, fig) -> str:
    import matplotlib.pyplot as plt

    fig.autofmt_xdate()
    fig.tight_layout()
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(fig)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    return f'<figure class="chart" id="chart-{name}">{svg}</figure>'
