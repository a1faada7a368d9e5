"""The report's views besides the link list: stories on a timeline, a chart of links over time (inline SVG),
and the list of Russian reports with no English counterpart yet. Pure functions from tables to HTML strings,
no external resource (the page opens offline)."""

from __future__ import annotations

import html
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

import pandas as pd

from kzalign.core.text import plural
from kzalign.stages.gaps import KIND_LABELS

#: Colour of each link kind (the same in badges, timelines and the chart); "" is a link of unknown kind.
KIND_COLOURS = {"translation": "#1f5f9e", "same_event": "#1d7a46", "follow_up": "#b26a00", "": "#6b7785"}
GAP_COLOUR = "#b3261e"


def esc(value: Any) -> str:
    """HTML-escaped text ("" for None/NaN)."""
    return html.escape("" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value))


def parse_day(value: Any) -> date | None:
    """A ``YYYY-MM-DD`` (or longer ISO) date, else None."""
    try:
        return date.fromisoformat(str(value)[:10]) if isinstance(value, str) and len(value) >= 10 else None
    except ValueError:
        return None


def day_offset(ru_date: Any, en_date: Any) -> str:
    """``+3 days`` / ``same day`` / ``2 days before`` between a Russian report and a linked one ("" when undated)."""
    a, b = parse_day(ru_date), parse_day(en_date)
    if a is None or b is None:
        return ""
    d = (b - a).days
    return "same day" if d == 0 else f"+{plural(d, 'day')}" if d > 0 else f"{plural(-d, 'day')} before"


def kind_badge(kind: str) -> str:
    """A coloured badge naming a link kind."""
    return (f'<span class="badge kind" style="color:{KIND_COLOURS.get(kind, KIND_COLOURS[""])}">'
            f"{esc(KIND_LABELS.get(kind, kind))}</span>")


def legend(kinds: Iterable[str], extra: list[tuple[str, str]] | None = None) -> str:
    """A legend of coloured squares for the given kinds (and extra (label, colour) entries)."""
    entries = [(KIND_LABELS.get(k, k), KIND_COLOURS.get(k, KIND_COLOURS[""])) for k in kinds] + (extra or [])
    return '<div class="legend">' + "".join(
        f'<span><i style="background:{c}"></i>{esc(label)}</span>' for label, c in entries) + "</div>"


# -- chart -------------------------------------------------------------------------------------------
def _periods(days: list[date]) -> tuple[list[str], str]:
    """Every month from the first to the last date (every year when that is more than 48 months)."""
    lo, hi = min(days), max(days)
    months = (hi.year - lo.year) * 12 + hi.month - lo.month + 1
    if months > 48:
        return [str(y) for y in range(lo.year, hi.year + 1)], "year"
    out = []
    for i in range(months):
        y, m = divmod(lo.month - 1 + i, 12)
        out.append(f"{lo.year + y}-{m + 1:02d}")
    return out, "month"


def bar_chart(points: list[tuple[date, str]], series: list[tuple[str, str, str]], label: str) -> str:
    """A stacked bar chart as inline SVG: ``points`` are (date, series key), counted per month (or year);
    ``series`` are (key, label, colour) in stacking order. Each bar segment has a tooltip with its count."""
    if not points:
        return f'<p class="none">Nothing dated to chart for {esc(label)}.</p>'
    periods, unit = _periods([d for d, _ in points])
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for d, key in points:
        counts[str(d.year) if unit == "year" else f"{d.year}-{d.month:02d}"][key] += 1
    top = max(sum(c.values()) for c in counts.values())
    n = len(periods)
    bw = max(6.0, min(56.0, 640 / n))
    left, h, width = 34, 170, 34 + n * bw + 10
    step = max(math.ceil(n / 12), math.ceil(52 / bw))  # labels ~45 px wide never overlap
    parts = [f'<svg class="chart" role="img" aria-label="{esc(label)}" width="{width:.0f}" height="{h + 44}" '
             f'viewBox="0 0 {width:.0f} {h + 44}" xmlns="http://www.w3.org/2000/svg">']
    for v in sorted({0, top // 2, top}):
        y = 10 + h - v / top * h
        parts.append(f'<line x1="{left - 4}" x2="{width - 6:.0f}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
                     f'<text x="{left - 7}" y="{y + 4:.1f}" text-anchor="end">{v}</text>')
    for i, p in enumerate(periods):
        x, base = left + i * bw, 10.0 + h
        for key, name, colour in series:
            v = counts.get(p, Counter())[key]
            if not v:
                continue
            seg = v / top * h
            base -= seg
            parts.append(f'<rect x="{x + 1:.1f}" y="{base:.1f}" width="{bw - 2:.1f}" height="{seg:.1f}" '
                         f'fill="{colour}"><title>{esc(p)}: {v} {esc(name)}</title></rect>')
        if i % step == 0:
            parts.append(f'<text x="{x + bw / 2:.1f}" y="{h + 26}" text-anchor="middle">{esc(p)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def chart_view(links: pd.DataFrame, gaps: pd.DataFrame) -> str:
    """Links per month by the English report's date, stacked by kind; Russian reports with no English yet per
    month by their own date. Undated rows are counted in a note."""
    kinds = [k for k in KIND_COLOURS if k in set(links["kind"])] if len(links) else []
    pts = [(d, k) for d, k in ((parse_day(x), k) for x, k in zip(links["en_date"], links["kind"], strict=True))
           if d is not None] if len(links) else []
    gpts = [(d, "gap") for d in (parse_day(x) for x in gaps["date"]) if d is not None]
    series = [(k, KIND_LABELS[k], KIND_COLOURS[k]) for k in kinds]
    undated = (len(links) - len(pts), len(gaps) - len(gpts))
    left_out = " and ".join(x for x in (plural(undated[0], "link") if undated[0] else "",
                                        plural(undated[1], "report") if undated[1] else "") if x)
    note = f'<p class="meta">Not charted: {left_out} without a date.</p>' if left_out else ""
    return ('<section class="chartbox"><h2>Links over time</h2><p class="meta">Links per month of the English '
            "report's date, by kind (current links; rejected ones left out).</p>"
            + bar_chart(pts, series, "links per month") + legend(kinds)
            + "<h2>Russian reports with no English counterpart yet</h2>"
            + '<p class="meta">Per month of the Russian report\'s date.</p>'
            + bar_chart(gpts, [("gap", "Russian reports with no English yet", GAP_COLOUR)], "reports without English")
            + note + "</section>")


# -- stories -----------------------------------------------------------------------------------------
def _strip(ru_day: date | None, entries: list[dict[str, Any]]) -> str:
    """A small SVG time axis: the Russian report (square) and its linked reports (dots coloured by kind)."""
    days = [d for d in [ru_day, *(e["day"] for e in entries)] if d is not None]
    if not days:
        return ""
    lo, hi = min(days), max(days)
    span = max((hi - lo).days, 1)
    w, x0, x1 = 640, 14, 626

    def x(d: date) -> float:
        return x0 + (d - lo).days / span * (x1 - x0) if hi != lo else (x0 + x1) / 2

    out = [f'<svg class="strip" width="{w}" height="40" viewBox="0 0 {w} 40" xmlns="http://www.w3.org/2000/svg" '
           f'role="img" aria-label="timeline"><line x1="{x0}" x2="{x1}" y1="16" y2="16" class="axis"/>']
    for e in entries:
        if e["day"] is not None:
            out.append(f'<circle cx="{x(e["day"]):.1f}" cy="16" r="6" fill="{KIND_COLOURS.get(e["kind"], "#6b7785")}">'
                       f'<title>{esc(e["date"])} {esc(KIND_LABELS.get(e["kind"], ""))}: {esc(e["title"])}</title></circle>')
    if ru_day is not None:
        out.append(f'<rect x="{x(ru_day) - 6:.1f}" y="10" width="12" height="12" fill="#1d2733">'
                   "<title>the Russian report</title></rect>")
    out.append(f'<text x="{x0}" y="36">{lo.isoformat()}</text>'
               f'<text x="{x1}" y="36" text-anchor="end">{hi.isoformat()}</text></svg>')
    return "".join(out)


def story_html(item: Any, title_html: str, gloss: str, entries: list[dict[str, Any]]) -> str:
    """One story: the Russian report and its linked reports on a time axis and in date order, by kind."""
    ru_day = parse_day(item.date)
    when = item.date if isinstance(item.date, str) and item.date else "no date"
    rows = [f'<li class="tl tl-ru"><time>{esc(when)}</time><span class="offset"></span><span class="what">'
            f'<span class="badge">Russian report</span><span lang="ru">{title_html}</span></span></li>']
    for e in sorted(entries, key=lambda e: (e["day"] is None, e["day"] or date.min, e["title"])):
        rows.append(f'<li class="tl k-{esc(e["kind"] or "linked")}" style="--k:{KIND_COLOURS.get(e["kind"], "#6b7785")}">'
                    f'<time>{esc(e["date"] or "no date")}</time><span class="offset">{esc(day_offset(item.date, e["date"]))}'
                    f'</span><span class="what">{kind_badge(e["kind"])}<span lang="en">{esc(e["title"])}</span> '
                    f'<span class="score">{e["score"]:.2f}</span> '
                    f'<span class="badge st-{esc(e["status"])}">{esc(e["status"])}</span></span></li>')
    return (f'<article class="story" data-ru="{esc(item.id)}"><h3><a href="#links/{esc(item.id)}" lang="ru">'
            f"{title_html}</a></h3>{gloss}{_strip(ru_day, entries)}<ol class=\"timeline\">{''.join(rows)}</ol></article>")


def stories_view(stories: list[str], kinds: Iterable[str]) -> str:
    """The story view: every Russian report with linked reports, newest first."""
    if not stories:
        return '<p class="none">No stories yet: no Russian report is linked to an English one.</p>'
    return ('<p class="meta">Each Russian report with the reports linked to it, on a time axis (■ the Russian '
            "report; dots coloured by link kind) and in date order.</p>" + legend(kinds) + "".join(stories))


# -- gaps --------------------------------------------------------------------------------------------
def gaps_view(gaps: pd.DataFrame, limit: int | None = None) -> str:
    """The to-do queue: Russian reports with no English counterpart yet, newest first (the first ``limit``)."""
    if gaps.empty:
        return '<p class="none">Every Russian report has an English counterpart.</p>'
    rows = []
    for g in gaps.head(limit).itertuples(index=False) if limit is not None else gaps.itertuples(index=False):
        title = (f'<span class="untitled">no title</span> {esc(g.title)}' if g.untitled else esc(g.title))
        gloss = f'<span class="mt">MT: {esc(g.mt_title)}</span>' if g.mt_title else ""
        rej = plural(int(g.rejected_links), "candidate") + " rejected" if g.rejected_links else ""
        rows.append(f'<tr data-ru="{esc(g.ru_id)}"><td class="d">{esc(g.date or "no date")}</td>'
                    f'<td><a href="#links/{esc(g.ru_id)}" lang="ru">{title}</a>{gloss}</td><td>{esc(rej)}</td>'
                    f'<td class="id">{esc(g.ru_id)}</td></tr>')
    return (f'<p class="meta">{plural(len(gaps), "Russian report")} with no English report linked yet, newest first '
            "(rejected candidates do not count)" + (f"; the newest {limit:,} shown" if limit is not None and
                                                     len(gaps) > limit else "")
            + ". The same list: <code>kzalign gaps --format csv</code>.</p>"
            '<table class="gaps"><thead><tr><th>date</th><th>Russian report</th><th>review</th><th>id</th></tr>'
            "</thead><tbody>" + "".join(rows) + "</tbody></table>")
