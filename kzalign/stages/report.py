"""``kzalign report``: one self-contained HTML file showing what kzalign found.

Four views (tabs; the address picks one: ``report.html#stories``, ``#gaps``, ``#chart``):

* **Links**: for each Russian item (its MT gloss when MT ran; untitled items by their first sentence) its
  linked English items with score, kind, status and evidence, who reviewed them, and the aligned sentence pairs
  side by side, glossary names highlighted and QA flags shown. Rejected links and rejected or fixed pairs stay
  visible. Filters by status (proposed, accepted, rejected, fixed), kind, score and date and a search box run in
  inline JavaScript (preset in the address: ``report.html?status=fixed&min=0.5&q=Turganbekov``).
* **Stories**: each Russian report with its linked reports on a time axis, by link kind.
* **No English yet**: Russian reports with no English counterpart (the press officer's to-do queue).
* **Over time**: links per month by kind, and reports still without English, as inline SVG.

There is no external resource (no CDN, fonts or images), so the file opens offline; the signature of what
produced it is in the footer; a print stylesheet keeps it readable on paper.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from kzalign.core.files import atomic_output
from kzalign.core.progress import ProgressCallback, report
from kzalign.core.text import plural
from kzalign.core.version import __version__
from kzalign.formats.guard import check_output
from kzalign.stages.gaps import KIND_LABELS, display_title, gaps_table, link_kinds, mt_titles, rejected_links
from kzalign.stages.report_views import (
    KIND_COLOURS,
    chart_view,
    day_offset,
    esc,
    gaps_view,
    kind_badge,
    parse_day,
    stories_view,
    story_html,
)
from kzalign.store.workspace import Workspace, link_key

if TYPE_CHECKING:
    from kzalign.glossary import Glossary

_CSS = """
:root{--fg:#1d2733;--muted:#5b6876;--line:#d9dee4;--bg:#f6f8fa;--acc:#1f5f9e;--ok:#1d7a46;--warn:#a15c00;--bad:#b3261e}
*{box-sizing:border-box}body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:var(--fg);background:#fff}
header{padding:18px 28px 8px}h1{font-size:20px;margin:0 0 4px}.sub{color:var(--muted);font-size:12.5px}
nav.tabs{display:flex;gap:4px;padding:0 28px;border-bottom:1px solid var(--line)}
nav.tabs a{padding:7px 14px;color:var(--muted);text-decoration:none;border:1px solid transparent;border-bottom:0;border-radius:6px 6px 0 0;font-weight:500}
nav.tabs a.on{color:var(--fg);border-color:var(--line);background:#fff;margin-bottom:-1px}nav.tabs a .n{font-size:11.5px;color:var(--muted)}
.controls{position:sticky;top:0;z-index:2;display:flex;flex-wrap:wrap;gap:10px 18px;align-items:center;padding:10px 28px;background:var(--bg);border-bottom:1px solid var(--line)}
.controls label{font-size:12.5px;color:var(--muted)}.controls input,.controls select{font:inherit;padding:3px 6px;border:1px solid var(--line);border-radius:4px;background:#fff}
.controls input[type=search]{width:240px}#count{margin-left:auto;font-size:12.5px;color:var(--muted)}
main,.view-body{padding:8px 28px 40px;max-width:1400px}
.ru-item{border:1px solid var(--line);border-radius:6px;margin:16px 0;padding:12px 16px;background:#fff;content-visibility:auto;contain-intrinsic-size:auto 600px}
.ru-item>h2{font-size:16px;margin:0 0 2px}.meta{color:var(--muted);font-size:12px}
.untitled{font-size:11px;font-weight:500;color:var(--muted);border:1px dashed var(--line);border-radius:3px;padding:0 4px;margin-right:4px;white-space:nowrap}
.gloss{color:var(--muted);font-size:13px;margin:0 0 2px}.gloss b{font-weight:600;font-size:11px;margin-right:4px}
details.text{margin:6px 0}details.text summary{cursor:pointer;color:var(--acc);font-size:12.5px}
details.text div{white-space:pre-wrap;font-size:13px;padding:6px 10px;background:var(--bg);border-radius:4px;margin-top:4px}
.link{border-top:1px solid var(--line);margin-top:10px;padding-top:10px}
.link h3{font-size:14.5px;margin:0;display:flex;gap:10px;align-items:baseline;flex-wrap:wrap}
.link.rejected h3 span[lang]{text-decoration:line-through;color:var(--muted)}
.score{font-variant-numeric:tabular-nums;font-weight:600}.badge{font-size:11px;padding:1px 7px;border-radius:10px;border:1px solid currentColor;text-transform:uppercase;letter-spacing:.03em;white-space:nowrap}
.st-accepted{color:var(--ok)}.st-proposed{color:var(--acc)}.st-rejected{color:var(--bad)}.st-fixed{color:var(--warn)}
.who{color:var(--fg)}.evidence{color:var(--muted);font-size:12.5px;margin:3px 0 6px}
table.pairs{width:100%;border-collapse:collapse;table-layout:fixed;font-size:13px}
table.pairs th{text-align:left;font-weight:600;color:var(--muted);font-size:11.5px;border-bottom:1px solid var(--line);padding:3px 6px}
table.pairs td{vertical-align:top;padding:5px 6px;border-bottom:1px solid #eef1f4}table.pairs td.num{width:64px;text-align:right;font-variant-numeric:tabular-nums;color:var(--muted)}
table.pairs col.s{width:64px}table.pairs col.f{width:190px}.mt{display:block;color:var(--muted);font-size:12px;margin-top:2px}
tr.pair[data-status=rejected] td[lang]{text-decoration:line-through;color:var(--muted)}tr.pair[data-status=fixed]{background:#fffaf0}
.was{display:block;color:var(--muted);font-size:12px;text-decoration:line-through}
mark.name{background:#fff2b3;border-radius:2px;padding:0 1px}mark.name.bad{background:#ffd7d3;text-decoration:underline wavy var(--bad)}
.flag{display:inline-block;font-size:11px;margin:1px 2px;padding:0 5px;border-radius:3px;background:#fdecd2;color:var(--warn)}
.none{color:var(--muted);font-style:italic;margin:8px 0 0}.hidden{display:none!important}
.legend{display:flex;flex-wrap:wrap;gap:14px;font-size:12.5px;color:var(--muted);margin:6px 0 14px}.legend i{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.story{border:1px solid var(--line);border-radius:6px;margin:14px 0;padding:10px 16px;content-visibility:auto;contain-intrinsic-size:auto 260px}
.story h3{font-size:15px;margin:0 0 2px}.story h3 a{color:inherit;text-decoration:none}.story h3 a:hover{text-decoration:underline}
svg.strip{display:block;max-width:100%;height:auto;margin:6px 0}svg .axis{stroke:#9aa5b1;stroke-width:2}svg text{font-size:10.5px;fill:var(--muted)}
ol.timeline{list-style:none;margin:4px 0 0;padding:0 0 0 14px;border-left:2px solid var(--line)}
li.tl{position:relative;margin:6px 0;display:grid;grid-template-columns:84px 96px 1fr;gap:8px;align-items:baseline}li.tl .what .badge{margin-right:6px}
li.tl:before{content:"";position:absolute;left:-21px;top:5px;width:10px;height:10px;border-radius:50%;background:var(--k,#1d2733)}
li.tl-ru:before{border-radius:1px}li.tl time{font-variant-numeric:tabular-nums;color:var(--muted);font-size:12.5px}
.offset{font-size:12px;color:var(--muted)}
table.gaps{border-collapse:collapse;width:100%;font-size:13.5px}table.gaps th{text-align:left;color:var(--muted);font-size:11.5px;border-bottom:1px solid var(--line);padding:4px 6px}
table.gaps td{padding:6px;border-bottom:1px solid #eef1f4;vertical-align:top}table.gaps td.d{white-space:nowrap;font-variant-numeric:tabular-nums}
table.gaps td.id{color:var(--muted);font-size:12px}table.gaps a{color:inherit}
svg.chart{display:block;max-width:100%;height:auto}svg .grid{stroke:#e3e7eb}.chartbox h2{font-size:16px;margin:18px 0 2px}
footer{border-top:1px solid var(--line);padding:10px 28px 24px;color:var(--muted);font-size:11.5px}footer code{font-size:11px;word-break:break-all}
@media print{.ru-item,.story{content-visibility:visible}.controls,nav.tabs{display:none}.ru-item{break-inside:avoid-page;border-color:#999}details.text{display:none}mark.name{background:none;text-decoration:underline}body{font-size:11pt}}
"""

_JS = """
(function(){
 function $(id){return document.getElementById(id);}
 var q=$('q'),st=$('status'),kd=$('kind'),sc=$('minscore'),df=$('from'),dt=$('to'),un=$('unlinked'),count=$('count'),
     items=[].slice.call(document.querySelectorAll('.ru-item')),indexed=false;
 function n(k,w){return k+' '+w+(k===1?'':'s');}
 items.forEach(function(it){it._links=[].slice.call(it.querySelectorAll('.link'));
   it._links.forEach(function(l){l._rows=[].slice.call(l.querySelectorAll('tr.pair'));});});
 function index(){if(indexed)return;indexed=true;items.forEach(function(it){it._t=it.textContent.toLowerCase();
   it._links.forEach(function(l){l._t=l.textContent.toLowerCase();});});}
 function statusOk(l,s){if(s==='all'||l.dataset.status===s)return true;
   return (s==='fixed'||s==='rejected')&&l._rows.some(function(r){return r.dataset.status===s;});}
 function apply(){
  var text=q.value.trim().toLowerCase();if(text)index();
  var s=st.value,k=kd.value,min=parseFloat(sc.value||'0'),a=df.value,b=dt.value,shown=0,links=0;
  items.forEach(function(it){
   var d=it.dataset.date||'',dateOk=(!a||(d&&d>=a))&&(!b||(d&&d<=b)),any=false,textItem=!text||it._t.indexOf(text)>=0;
   it._links.forEach(function(l){
     var ok=dateOk&&statusOk(l,s)&&(k==='all'||l.dataset.kind===k)&&parseFloat(l.dataset.score)>=min&&(!text||l._t.indexOf(text)>=0||textItem);
     l.classList.toggle('hidden',!ok);if(ok){any=true;links++;}
     var only=(s==='fixed'||s==='rejected')&&l.dataset.status!==s;
     l._rows.forEach(function(r){r.classList.toggle('hidden',only&&r.dataset.status!==s);});});
   var show=any||(it._links.length===0&&un.checked&&dateOk&&textItem&&s==='all'&&k==='all'&&min<=0);
   it.classList.toggle('hidden',!show);if(show)shown++;});
  count.textContent=n(shown,'Russian item')+', '+n(links,'link')+' shown';
 }
 [q,st,kd,sc,df,dt,un].forEach(function(e){e.addEventListener('input',apply);e.addEventListener('change',apply);});
 var nl=0;items.forEach(function(it){nl+=it._links.length;});
 count.textContent=n(items.length,'Russian item')+', '+n(nl,'link')+' shown';
 var u=new URLSearchParams(location.search),set=false;
 [['q',q],['status',st],['kind',kd],['min',sc],['from',df],['to',dt]].forEach(function(p){if(u.has(p[0])){p[1].value=u.get(p[0]);set=true;}});
 if(set)apply();
 var tabs=[].slice.call(document.querySelectorAll('nav.tabs a'));
 function view(hash){var parts=hash.replace(/^#/,'').split('/'),name=$('view-'+parts[0])?parts[0]:'links';
  tabs.forEach(function(t){t.classList.toggle('on',t.dataset.view===name);});
  [].forEach.call(document.querySelectorAll('.view'),function(v){v.classList.toggle('hidden',v.id!=='view-'+name);});
  var target=parts[1]&&document.querySelector('.ru-item[data-id="'+parts[1].replace(/"/g,'')+'"]');
  if(target){target.classList.remove('hidden');target.scrollIntoView();}}
 window.addEventListener('hashchange',function(){view(location.hash);});
 view(location.hash);
})();
"""

#: What each pair decision reads as in the report (no decision: not reviewed yet).
_PAIR_STATUS = {"accept": "accepted", "fix": "fixed", "reject": "rejected", "": "unreviewed"}


@dataclass
class ReportStats:
    """What the report shows: Russian items, links, sentence pairs, reports with no English yet, the file."""

    path: Path
    ru_items: int
    links: int
    pairs: int
    gaps: int = 0
    stories: int = 0


@dataclass
class _Data:
    """Everything the page is built from, read from the workspace once."""

    items: pd.DataFrame
    en: dict[str, tuple[str, str, bool]]  # id -> (display title, date, untitled)
    links: pd.DataFrame  # current and rejected links, with kind and status
    pairs: dict[tuple[str, str], pd.DataFrame]
    rejected_pairs: dict[tuple[str, str], list[dict[str, Any]]]
    decisions: dict[tuple[str, str], dict[str, Any]]
    mt: dict[str, str]
    gaps: pd.DataFrame
    pairs_ran: bool
    signature: dict[str, str] = field(default_factory=dict)
    #: sentence pairs and fixed ones in the whole workspace (``pairs`` holds only the shown items' when capped)
    npairs: int = 0
    nfixed: int = 0


def highlight(text: str, matches: list[Any]) -> str:
    """``text`` escaped, with glossary name matches (``start``, ``end``, ``en``, ``form``) in ``<mark>``."""
    out: list[str] = []
    pos = 0
    for m in sorted(matches, key=lambda m: (m.start, -m.end)):
        if m.start < pos:
            continue
        bad = getattr(m, "form", "approved") == "forbidden"
        tip = f"forbidden spelling; use {m.en}" if bad else f"glossary: {m.en}"
        out.append(esc(text[pos : m.start]))
        out.append(f'<mark class="name{" bad" if bad else ""}" title="{esc(tip)}">{esc(text[m.start : m.end])}</mark>')
        pos = m.end
    out.append(esc(text[pos:]))
    return "".join(out)


def _marked(glossary: Glossary | None, text: Any, lang: str) -> str:
    if glossary is None or not isinstance(text, str) or not text:
        return esc(text)
    finder = glossary.find_ru if lang == "ru" else glossary.find_en
    return highlight(text, finder(text))


def _histories(ws: Workspace) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Every decision ever made per (kind, row id), oldest first, from the review stage's decision history when
    it keeps one (else each decision's own record of the ones before it is used)."""
    from kzalign.stages import review

    history = getattr(review, "decision_history", None)
    if history is None:
        return {}
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for h in history(ws).to_dict("records"):
        out.setdefault((str(h["kind"]), str(h["row_id"])), []).append(
            {"decision": h["decision"], "reviewer": h["reviewer"], "at": h["decided_at"]})
    return out


def _who(d: dict[str, Any] | None) -> str:
    """``accepted by Dana (2026-03-02); before: rejected by Aigerim`` from a decision and its history."""
    if not d:
        return ""
    done = {"accept": "accepted", "fix": "fixed", "reject": "rejected"}
    hist = d.get("history") or (d.get("payload") or {}).get("history") or []
    now = f"{done.get(str(d['decision']), d['decision'])} by {d['reviewer'] or 'someone'} ({str(d['decided_at'])[:10]})"
    before = [f"{done.get(h.get('decision', ''), h.get('decision', ''))} by {h.get('reviewer') or 'someone'}"
              for h in hist[:-1]]
    return f'<span class="who">{esc(now)}</span>' + (f"; before: {esc(', '.join(before))}" if before else "")


def _read(ws: Workspace, max_items: int | None = None) -> _Data:
    """Read items, links (rejected ones from the decisions), pairs, decisions, MT titles and gaps; with more
    Russian items than ``max_items``, the sentence pairs of the newest ``max_items`` only (the rest counted)."""
    from kzalign.stages.link import links_table
    from kzalign.stages.sentences import pairs_table

    items = ws.items("ru").sort_values(["date", "id"], ascending=[False, True], na_position="last")
    capped = max_items is not None and len(items) > max_items
    en = {r.id: _title(r) for r in ws.item_heads("en")}
    links = links_table(ws)
    links = links.assign(kind=link_kinds(links)) if len(links) else links.assign(kind=pd.Series(dtype=str))
    rejected = rejected_links(ws)
    histories = _histories(ws)
    decisions: dict[tuple[str, str], dict[str, Any]] = {
        k: {**v, "history": histories.get(k)} for k, v in ws.decision_map().items() if k[0] in ("link", "pair")}
    if len(rejected):
        rej = pd.DataFrame({"ru_id": rejected["ru_id"], "en_id": rejected["en_id"], "score": rejected["score"],
                            "rank": "", "evidence": "", "status": "rejected", "kind": rejected["kind"],
                            "en_title": [en.get(e, ("", "", False))[0] for e in rejected["en_id"]],
                            "en_date": [en.get(e, ("", "", False))[1] for e in rejected["en_id"]]})
        links = pd.concat([links, rej], ignore_index=True)
    pairs = pairs_table(ws, list(items["id"][:max_items]) if capped else None)
    counts = (ws.count_pairs(), ws.count_fixed_pairs()) if capped else (len(pairs), int((pairs["decision"] == "fix").sum()))
    by_link = {k: g for k, g in pairs.groupby(["ru_id", "en_id"], sort=False)} if len(pairs) else {}
    rejected_pairs: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for (kind, key), d in decisions.items():
        pay: dict[str, Any] = d["payload"] or {}
        if kind == "pair" and d["decision"] == "reject" and pay.get("ru_id"):
            rejected_pairs.setdefault((pay["ru_id"], pay.get("en_id", "")), []).append({**pay, "pair_id": key})
    mt = mt_titles(ws)
    sig = {stage: run[0] for stage in ("link", "pairs") if (run := ws.last_run(stage)) is not None}
    return _Data(items, en, links, by_link, rejected_pairs, decisions, mt, gaps_table(ws, mt, items=items),
                 ws.ran_after("pairs", "link"), sig, *counts)


def _title(row: Any) -> tuple[str, str, bool]:
    """(display title, date, untitled) of an item row."""
    title, untitled = display_title(row.title, row.text)
    return title, row.date if isinstance(row.date, str) else "", untitled


def _title_html(title: str, untitled: bool, glossary: Glossary | None, lang: str) -> str:
    label = '<span class="untitled">no title</span>' if untitled else ""
    return label + (_marked(glossary, title, lang) if title else '<span class="none">empty</span>')


def _pair_row(p: Any, status: str, d: dict[str, Any] | None, glossary: Glossary | None) -> str:
    flags = "".join(f'<span class="flag">{esc(f)}</span>' for f in str(p.get("flags") or "").replace(";", ",")
                    .split(",") if f.strip())
    mt = p.get("mt_en")
    mt_html = f'<span class="mt">MT: {esc(mt)}</span>' if isinstance(mt, str) and mt else ""
    was = p.get("en_original")
    was_html = (f'<span class="was">{esc(was)}</span>' if status == "fixed" and isinstance(was, str)
                and was != p.get("en_text") else "")
    badge = f'<span class="badge st-{status}">{status}</span> ' if status != "unreviewed" else ""
    return (f'<tr class="pair" data-pair="{esc(p.get("pair_id"))}" data-status="{status}">'
            f'<td lang="ru">{_marked(glossary, p.get("ru_text"), "ru")}{mt_html}</td>'
            f'<td lang="en">{_marked(glossary, p.get("en_text"), "en")}{was_html}</td>'
            f'<td class="num">{float(p.get("score") or 0):.2f}</td><td>{badge}{flags}<div class="meta">{_who(d)}</div></td></tr>')


def _pairs_html(data: _Data, key: tuple[str, str], status: str, glossary: Glossary | None) -> str:
    pairs = data.pairs.get(key)
    rows = [] if pairs is None else [
        _pair_row(p, _PAIR_STATUS.get(str(p.get("decision") or ""), "unreviewed"),
                  data.decisions.get(("pair", str(p.get("pair_id")))), glossary)
        for p in pairs.to_dict("records")]
    rows += [_pair_row(p, "rejected", data.decisions.get(("pair", p["pair_id"])), glossary)
             for p in data.rejected_pairs.get(key, [])]
    if not rows:
        if status == "rejected":
            return '<p class="none">Rejected in review: this link and its sentence pairs are not used.</p>'
        if data.pairs_ran:
            return ('<p class="none">No sentence pairs found: the aligner found no sentences in these two reports '
                    "that correspond.</p>")
        return '<p class="none">No sentence pairs yet (run <code>kzalign pairs</code>).</p>'
    return ('<table class="pairs"><colgroup><col><col><col class="s"><col class="f"></colgroup>'
            "<thead><tr><th>Russian</th><th>English</th><th>score</th><th>review, QA flags</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def _link_html(link: dict[str, Any], ru_date: Any, data: _Data, glossary: Glossary | None) -> str:
    key = (str(link["ru_id"]), str(link["en_id"]))
    lk = link_key(*key)
    status, kind = str(link.get("status") or "proposed"), str(link.get("kind") or "")
    en_title, en_date, untitled = data.en.get(key[1], (str(link.get("en_title") or ""), "", False))
    offset = day_offset(ru_date, en_date)
    who = _who(data.decisions.get(("link", lk)))
    meta = " · ".join(x for x in [en_date or "no date", offset, f"rank {link['rank']}" if link.get("rank") != ""
                                  else "", esc(key[1])] if x)
    evidence = f'<p class="evidence">{esc(link.get("evidence"))}</p>' if link.get("evidence") else ""
    return (f'<section class="link {esc(status)}" data-status="{esc(status)}" data-kind="{esc(kind)}" '
            f'data-score="{float(link.get("score") or 0):.4f}" data-en="{esc(key[1])}" id="{esc(lk)}">'
            f'<h3><span class="score">{float(link.get("score") or 0):.2f}</span>'
            f'<span class="badge st-{esc(status)}">{esc(status)}</span>{kind_badge(kind) if status != "rejected" and kind else ""}'
            f'<span lang="en">{_title_html(en_title, untitled, glossary, "en")}</span></h3>'
            f'<div class="meta">{meta}{" · " + who if who else ""}</div>{evidence}'
            f"{_pairs_html(data, key, status, glossary)}</section>")


def _item_html(item: Any, links: list[dict[str, Any]], data: _Data, glossary: Glossary | None) -> str:
    title, untitled = display_title(item.title, item.text)
    gloss = (f'<div class="gloss" lang="en"><b>MT</b>{esc(data.mt[item.id])}</div>' if item.id in data.mt else "")
    body = "".join(_link_html(lk, item.date, data, glossary) for lk in links) or \
        '<p class="none">No English report linked yet.</p>'
    current = sum(1 for lk in links if lk.get("status") != "rejected")
    sources = "; ".join(item.sources) if isinstance(item.sources, list) else ""
    meta = [item.date if isinstance(item.date, str) and item.date else "no date", item.id, plural(current, "link"),
            sources]
    return (f'<article class="ru-item" data-date="{esc(item.date if isinstance(item.date, str) else "")}" '
            f'data-id="{esc(item.id)}"><h2 lang="ru">{_title_html(title, untitled, glossary, "ru")}</h2>{gloss}'
            f'<div class="meta">{" · ".join(esc(x) for x in meta if x)}</div>'
            f'<details class="text"><summary>Russian text</summary><div lang="ru">{esc(item.text)}</div></details>'
            f"{body}</article>")


def _story(item: Any, links: list[dict[str, Any]], data: _Data) -> str:
    title, untitled = display_title(item.title, item.text)
    entries = []
    for lk in links:
        en_title, en_date, _ = data.en.get(str(lk["en_id"]), (str(lk.get("en_title") or ""), "", False))
        entries.append({"day": parse_day(en_date), "date": en_date, "title": en_title, "kind": str(lk.get("kind") or ""),
                        "score": float(lk.get("score") or 0), "status": str(lk.get("status") or "proposed")})
    gloss = f'<div class="gloss" lang="en"><b>MT</b>{esc(data.mt[item.id])}</div>' if item.id in data.mt else ""
    return story_html(item, _title_html(title, untitled, None, "ru"), gloss, entries)


def _controls(kinds: list[str]) -> str:
    statuses = "".join(f'<option value="{s}">{s}</option>' for s in ("all", "proposed", "accepted", "rejected", "fixed"))
    kind_opts = '<option value="all">all</option>' + "".join(
        f'<option value="{esc(k)}">{esc(KIND_LABELS.get(k, k))}</option>' for k in kinds)
    return ('<div class="controls"><input type="search" id="q" placeholder="Search titles, sentences, names…" '
            f'aria-label="search"><label>Status <select id="status">{statuses}</select></label>'
            f'<label>Kind <select id="kind">{kind_opts}</select></label>'
            '<label>Score ≥ <input type="number" id="minscore" min="0" max="1" step="0.05" value="0" style="width:70px">'
            '</label><label>From <input type="date" id="from"></label><label>to <input type="date" id="to"></label>'
            '<label><input type="checkbox" id="unlinked" checked> unlinked items</label><span id="count"></span></div>')


def _summary(data: _Data, n_en: int) -> str:
    status = data.links["status"].value_counts().to_dict() if len(data.links) else {}
    current = len(data.links) - int(status.get("rejected", 0))
    npairs, fixed = data.npairs, data.nfixed
    reviewers = sorted({str(d["reviewer"]) for d in data.decisions.values() if d.get("reviewer")})
    parts = [f"{len(data.items)} Russian and {n_en} English items",
             f"{plural(current, 'link')}" + (f" ({status.get('accepted', 0)} accepted, {status.get('rejected', 0)} "
                                              "rejected)" if status.get("accepted") or status.get("rejected") else ""),
             plural(npairs, "sentence pair") + (f" ({fixed} fixed)" if fixed else ""),
             f"{plural(len(data.gaps), 'Russian report')} with no English yet"]
    if reviewers:
        parts.append("reviewed by " + ", ".join(reviewers))
    return " · ".join(esc(p) for p in parts)


def _footer(ws: Workspace, data: _Data, glossary: Glossary | None) -> str:
    sigs = [f"{stage}: <code>{esc(sig)}</code>" for stage, sig in data.signature.items()]
    if glossary is not None:
        sigs.append(f"glossary: <code>{esc(glossary.signature)}</code>")
    return (f"<footer>Made by kzalign {esc(__version__)} from the workspace <code>{esc(ws.path.name)}</code>. "
            f"Signatures (what produced the links and pairs): {' · '.join(sigs) or 'no links yet'}.</footer>")


def _cards(items: list[Any], by_ru: dict[str, list[dict[str, Any]]], data: _Data, glossary: Glossary | None,
           progress: ProgressCallback | None) -> Iterator[str]:
    """The Links view's item cards, one at a time (highlighting names takes a few seconds for thousands of
    pairs: a bar)."""
    report(progress, "report", 0, len(items))
    for i, it in enumerate(items, 1):
        yield _item_html(it, by_ru.get(it.id, []), data, glossary)
        if i % 50 == 0 or i == len(items):
            report(progress, "report", i, len(items))


#: Russian items the Links tab shows as cards (the newest; a larger archive's others are counted, and listed in
#: full by ``kzalign review export`` or ``kzalign links``), and stories the Stories tab shows; a browser stays
#: responsive with this many. The "No English yet" table shows up to :data:`MAX_GAPS` rows.
MAX_ITEMS = 1000
MAX_GAPS = 5000
_NOTE_STYLE = "border:1px solid var(--line);background:var(--bg);padding:8px 12px;border-radius:6px"


def _capped_note(shown: int, total: int, links: int, all_links: int) -> str:
    """What a capped Links tab leaves out, and where the full list is."""
    if shown >= total:
        return ""
    return (f'<p class="meta capped" style="{_NOTE_STYLE}">This report shows the {shown:,} newest of {total:,} Russian items ({links:,} of '
            f"{all_links:,} links) to stay quick in a browser; the counts, the charts and the filters' totals are "
            "those of the whole workspace. Every link and sentence pair: <code>kzalign review export --out "
            "review.xlsx</code> (or <code>kzalign links --format csv</code>, <code>kzalign pairs --format csv"
            "</code>).</p>")


def build_report(ws: Workspace, glossary: Glossary | None = None, progress: ProgressCallback | None = None,
                 max_items: int | None = MAX_ITEMS) -> tuple[str, ReportStats]:
    """The report page of a workspace as one HTML string, and what it holds (``max_items``: see
    :data:`MAX_ITEMS`; None shows every item)."""
    parts, stats = _page(ws, glossary, progress, max_items)
    return "".join(parts), stats


def _page(ws: Workspace, glossary: Glossary | None, progress: ProgressCallback | None,
          max_items: int | None) -> tuple[Iterator[str], ReportStats]:
    """The page's pieces (the item cards made as they are written) and what it holds."""
    data = _read(ws, max_items)
    by_ru: dict[str, list[dict[str, Any]]] = {}
    for rec in data.links.sort_values(["status", "rank"], key=lambda c: c.astype(str)).to_dict("records"):
        by_ru.setdefault(str(rec["ru_id"]), []).append(rec)
    items = list(data.items.itertuples(index=False))
    shown = items if max_items is None else items[:max_items]
    with_links = [it for it in items if any(lk.get("status") != "rejected" for lk in by_ru.get(it.id, []))]
    stories = [_story(it, [lk for lk in by_ru[it.id] if lk.get("status") != "rejected"], data)
               for it in (with_links if max_items is None else with_links[:max_items])]
    kinds = [k for k in KIND_COLOURS if len(data.links) and k in set(data.links["kind"])]
    current = data.links[data.links["status"] != "rejected"] if len(data.links) else data.links
    counts = {"ru": len(items), "links": len(current), "pairs": data.npairs, "gaps": len(data.gaps),
              "stories": len(with_links), "en": int(ws.count_items().get("en", 0))}
    note = _capped_note(len(shown), len(items), sum(len(by_ru.get(it.id, [])) for it in shown), len(data.links))
    story_note = (f'<p class="meta capped" style="{_NOTE_STYLE}">The {len(stories):,} newest of {len(with_links):,} stories.</p>'
                  if len(stories) < len(with_links) else "")
    tab = '<a href="#{0}" data-view="{0}">{1} <span class="n">{2}</span></a>'
    head = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "script-src 'unsafe-inline'\">"
        f"<title>kzalign report: {plural(counts['ru'], 'Russian item')}, {plural(counts['links'], 'link')}</title>"
        f"<style>{_CSS}</style><noscript><style>.view.hidden{{display:block!important}}</style></noscript>"
        "</head><body><header><h1>Russian ↔ English links</h1>"
        f'<div class="sub">{_summary(data, counts["en"])}</div></header><nav class="tabs">'
        + tab.format("links", "Links", counts["links"]) + tab.format("stories", "Stories", counts["stories"])
        + tab.format("gaps", "No English yet", counts["gaps"]) + tab.format("chart", "Over time", "")
        + f'</nav><section class="view" id="view-links">{_controls(kinds)}<main>{note}')
    tail = (
        f'</main></section><section class="view hidden" id="view-stories"><div class="view-body">'
        f"{story_note}{stories_view(stories, kinds)}</div></section>"
        f'<section class="view hidden" id="view-gaps"><div class="view-body">{gaps_view(data.gaps, MAX_GAPS)}</div></section>'
        f'<section class="view hidden" id="view-chart"><div class="view-body">{chart_view(current, data.gaps)}</div></section>'
        f"{_footer(ws, data, glossary)}<script>{_JS}</script>"
        f"<script type=\"application/json\" id=\"kzalign-data\">{esc(json.dumps(counts))}</script></body></html>"
    )
    stats = ReportStats(path=Path(), ru_items=counts["ru"], links=counts["links"], pairs=counts["pairs"],
                        gaps=counts["gaps"], stories=counts["stories"])
    return itertools.chain([head], _cards(shown, by_ru, data, glossary, progress), [tail]), stats


def write_report(ws: Workspace, path: str | Path, glossary: Glossary | None = None,
                 progress: ProgressCallback | None = None, max_items: int | None = MAX_ITEMS) -> ReportStats:
    """Write the report of ``ws`` to ``path`` atomically, a piece at a time (see :func:`build_report`), after the
    output guard."""
    check_output(path, workspace=ws.path)
    parts, stats = _page(ws, glossary, progress, max_items)
    with atomic_output(path) as fh:
        for part in parts:
            fh.write(part.encode("utf-8"))
    stats.path = Path(path)
    return stats
