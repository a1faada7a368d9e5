"""``kzalign report``: one self-contained HTML file showing what kzalign found.

For each Russian item: its linked English items with score, status and evidence, and the aligned
sentence pairs side by side, glossary names highlighted and QA flags shown. Filters by status, score
and date and a search box run in a few lines of inline JavaScript (and can be preset in the address:
``report.html?status=accepted&min=0.5&q=Turganbekov&from=2026-01-01``); there is no external resource
(no CDN, fonts or images), so the file opens offline, and a print stylesheet keeps it readable on paper.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from kzalign.core.files import write_atomic
from kzalign.core.text import plural
from kzalign.core.version import __version__
from kzalign.formats.guard import check_output
from kzalign.store.workspace import Workspace, link_key

if TYPE_CHECKING:
    from kzalign.glossary import Glossary

_CSS = """
:root{--fg:#1d2733;--muted:#5b6876;--line:#d9dee4;--bg:#f6f8fa;--acc:#1f5f9e;--ok:#1d7a46;--warn:#a15c00;--bad:#b3261e}
*{box-sizing:border-box}body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:var(--fg);background:#fff}
header{padding:18px 28px 10px;border-bottom:1px solid var(--line)}h1{font-size:20px;margin:0 0 4px}
.sub{color:var(--muted);font-size:12.5px}.sub code{font-size:11.5px;background:var(--bg);padding:1px 4px;border-radius:3px}
.controls{position:sticky;top:0;z-index:2;display:flex;flex-wrap:wrap;gap:10px 18px;align-items:center;padding:10px 28px;background:var(--bg);border-bottom:1px solid var(--line)}
.controls label{font-size:12.5px;color:var(--muted)}.controls input,.controls select{font:inherit;padding:3px 6px;border:1px solid var(--line);border-radius:4px;background:#fff}
.controls input[type=search]{width:260px}#count{margin-left:auto;font-size:12.5px;color:var(--muted)}
main{padding:8px 28px 40px;max-width:1400px}
.ru-item{border:1px solid var(--line);border-radius:6px;margin:16px 0;padding:12px 16px;background:#fff;content-visibility:auto;contain-intrinsic-size:auto 600px}
.ru-item>h2{font-size:16px;margin:0 0 2px}.meta{color:var(--muted);font-size:12px}
details.text{margin:6px 0}details.text summary{cursor:pointer;color:var(--acc);font-size:12.5px}
details.text div{white-space:pre-wrap;font-size:13px;padding:6px 10px;background:var(--bg);border-radius:4px;margin-top:4px}
.link{border-top:1px solid var(--line);margin-top:10px;padding-top:10px}
.link h3{font-size:14.5px;margin:0;display:flex;gap:10px;align-items:baseline;flex-wrap:wrap}
.score{font-variant-numeric:tabular-nums;font-weight:600}.badge{font-size:11px;padding:1px 7px;border-radius:10px;border:1px solid currentColor;text-transform:uppercase;letter-spacing:.03em}
.st-accepted{color:var(--ok)}.st-proposed{color:var(--acc)}.st-rejected{color:var(--bad)}
.evidence{color:var(--muted);font-size:12.5px;margin:3px 0 6px}
table.pairs{width:100%;border-collapse:collapse;table-layout:fixed;font-size:13px}
table.pairs th{text-align:left;font-weight:600;color:var(--muted);font-size:11.5px;border-bottom:1px solid var(--line);padding:3px 6px}
table.pairs td{vertical-align:top;padding:5px 6px;border-bottom:1px solid #eef1f4}table.pairs td.num{width:64px;text-align:right;font-variant-numeric:tabular-nums;color:var(--muted)}
table.pairs col.s{width:64px}table.pairs col.f{width:150px}.mt{display:block;color:var(--muted);font-size:12px;margin-top:2px}
mark.name{background:#fff2b3;border-radius:2px;padding:0 1px}mark.name.bad{background:#ffd7d3;text-decoration:underline wavy var(--bad)}
.flag{display:inline-block;font-size:11px;margin:1px 2px;padding:0 5px;border-radius:3px;background:#fdecd2;color:var(--warn)}
.none{color:var(--muted);font-style:italic;margin:8px 0 0}.hidden{display:none!important}
@media print{.ru-item{content-visibility:visible}.controls{display:none}header{border:0}.ru-item{break-inside:avoid-page;border-color:#999}details.text{display:none}mark.name{background:none;text-decoration:underline}body{font-size:11pt}}
"""

_JS = """
(function(){
 var q=document.getElementById('q'),st=document.getElementById('status'),sc=document.getElementById('minscore'),
     df=document.getElementById('from'),dt=document.getElementById('to'),un=document.getElementById('unlinked'),
     count=document.getElementById('count'),items=[].slice.call(document.querySelectorAll('.ru-item'));
 var indexed=false;
 function n(k,w){return k+' '+w+(k===1?'':'s');}
 function index(){if(indexed)return;indexed=true;items.forEach(function(it){it._t=it.textContent.toLowerCase();
   it._links.forEach(function(l){l._t=l.textContent.toLowerCase();});});}
 items.forEach(function(it){it._links=[].slice.call(it.querySelectorAll('.link'));});
 function apply(){
  var text=q.value.trim().toLowerCase();if(text)index();var s=st.value,min=parseFloat(sc.value||'0'),a=df.value,b=dt.value,shown=0,links=0;
  items.forEach(function(it){
   var d=it.dataset.date||'',dateOk=(!a||(d&&d>=a))&&(!b||(d&&d<=b)),any=false,textItem=!text||it._t.indexOf(text)>=0;
   it._links.forEach(function(l){
     var ok=dateOk&&(s==='all'||l.dataset.status===s)&&parseFloat(l.dataset.score)>=min&&(!text||l._t.indexOf(text)>=0||textItem);
     l.classList.toggle('hidden',!ok);if(ok){any=true;links++;}});
   var show=any||(it._links.length===0&&un.checked&&dateOk&&textItem&&s==='all'&&min<=0);
   it.classList.toggle('hidden',!show);if(show)shown++;});
  count.textContent=n(shown,'Russian item')+', '+n(links,'link')+' shown';
 }
 [q,st,sc,df,dt,un].forEach(function(e){e.addEventListener('input',apply);e.addEventListener('change',apply);});
 var nl=0;items.forEach(function(it){nl+=it._links.length;});
 count.textContent=n(items.length,'Russian item')+', '+n(nl,'link')+' shown';
 var u=new URLSearchParams(location.search),set=false;
 [['q',q],['status',st],['min',sc],['from',df],['to',dt]].forEach(function(p){if(u.has(p[0])){p[1].value=u.get(p[0]);set=true;}});
 if(set)apply();
})();
"""


@dataclass
class ReportStats:
    """What the report shows: Russian items, links and sentence pairs, and the file written."""

    path: Path
    ru_items: int
    links: int
    pairs: int


def _esc(value: Any) -> str:
    return html.escape("" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value))


def _date(value: Any) -> str:
    return value if isinstance(value, str) and value else "no date"


def highlight(text: str, matches: list[Any]) -> str:
    """``text`` escaped, with glossary name matches (``start``, ``end``, ``en``, ``form``) in ``<mark>``."""
    out: list[str] = []
    pos = 0
    for m in sorted(matches, key=lambda m: (m.start, -m.end)):
        if m.start < pos:
            continue
        bad = getattr(m, "form", "approved") == "forbidden"
        tip = f"forbidden spelling; use {m.en}" if bad else f"glossary: {m.en}"
        out.append(_esc(text[pos : m.start]))
        out.append(f'<mark class="name{" bad" if bad else ""}" title="{_esc(tip)}">{_esc(text[m.start : m.end])}</mark>')
        pos = m.end
    out.append(_esc(text[pos:]))
    return "".join(out)


def _marked(glossary: Glossary | None, text: str, lang: str) -> str:
    if glossary is None or not text:
        return _esc(text)
    finder = glossary.find_ru if lang == "ru" else glossary.find_en
    return highlight(text, finder(text))


def _pairs_html(pairs: pd.DataFrame, glossary: Glossary | None) -> str:
    if pairs.empty:
        return '<p class="none">No sentence pairs for this link (run <code>kzalign pairs</code>).</p>'
    rows = []
    for p in pairs.itertuples(index=False):
        flags = "".join(f'<span class="flag">{_esc(f)}</span>' for f in str(p.flags or "").replace(";", ",").split(",") if f.strip())
        mt = f'<span class="mt">MT: {_esc(p.mt_en)}</span>' if isinstance(p.mt_en, str) and p.mt_en else ""
        dec = f'<span class="flag">{_esc(p.decision)}</span>' if isinstance(p.decision, str) and p.decision else ""
        rows.append(f'<tr class="pair" data-pair="{_esc(p.pair_id)}"><td lang="ru">{_marked(glossary, p.ru_text, "ru")}{mt}</td>'
                    f'<td lang="en">{_marked(glossary, p.en_text, "en")}</td><td class="num">{float(p.score):.2f}</td>'
                    f"<td>{flags}{dec}</td></tr>")
    return ('<table class="pairs"><colgroup><col><col><col class="s"><col class="f"></colgroup>'
            "<thead><tr><th>Russian</th><th>English</th><th>score</th><th>QA flags</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def _link_html(link: Any, pairs: pd.DataFrame, glossary: Glossary | None) -> str:
    status = str(link.status or "proposed")
    return (f'<section class="link" data-status="{_esc(status)}" data-score="{float(link.score):.4f}" '
            f'data-en="{_esc(link.en_id)}" id="{_esc(link_key(link.ru_id, link.en_id))}">'
            f'<h3><span class="score">{float(link.score):.2f}</span><span class="badge st-{_esc(status)}">{_esc(status)}</span>'
            f'<span lang="en">{_marked(glossary, link.en_title, "en")}</span></h3>'
            f'<div class="meta">{_date(link.en_date)} · rank {_esc(link.rank)} · {_esc(link.en_id)}</div>'
            f'<p class="evidence">{_esc(link.evidence)}</p>{_pairs_html(pairs, glossary)}</section>')


def _item_html(item: Any, links: pd.DataFrame, pairs_by_link: dict[tuple[str, str], pd.DataFrame], glossary: Glossary | None) -> str:
    title = item.title or (item.text.splitlines()[0][:160] if isinstance(item.text, str) and item.text else item.id)
    body = "".join(_link_html(lk, pairs_by_link.get((lk.ru_id, lk.en_id), pd.DataFrame()), glossary)
                   for lk in links.itertuples(index=False))
    if not body:
        body = '<p class="none">No English report linked.</p>'
    sources = "; ".join(item.sources) if isinstance(item.sources, list) else ""
    return (f'<article class="ru-item" data-date="{_esc(item.date if isinstance(item.date, str) else "")}" data-id="{_esc(item.id)}">'
            f'<h2 lang="ru">{_marked(glossary, title, "ru")}</h2>'
            f'<div class="meta">{_date(item.date)} · {_esc(item.id)} · {plural(len(links), "link")} · {_esc(sources)}</div>'
            f'<details class="text"><summary>Russian text</summary><div lang="ru">{_esc(item.text)}</div></details>'
            f"{body}</article>")


def build_report(ws: Workspace, glossary: Glossary | None = None) -> tuple[str, ReportStats]:
    """The report page of a workspace as one HTML string, and what it holds."""
    from kzalign.stages.link import links_table
    from kzalign.stages.sentences import pairs_table

    items = ws.items("ru")
    links = links_table(ws)
    pairs = pairs_table(ws)
    pairs_by_link = {k: g for k, g in pairs.groupby(["ru_id", "en_id"], sort=False)} if len(pairs) else {}
    links_by_ru = {k: g for k, g in links.groupby("ru_id", sort=False)} if len(links) else {}
    items = items.sort_values(["date", "id"], ascending=[False, True], na_position="last")
    body = "".join(_item_html(it, links_by_ru.get(it.id, links.iloc[0:0]), pairs_by_link, glossary)
                   for it in items.itertuples(index=False))
    signature = str(links["signature"].iloc[0]) if len(links) else "no links yet"
    gsig = f" · glossary {glossary.signature}" if glossary is not None else ""
    counts = {"ru": len(items), "links": len(links), "pairs": len(pairs),
              "en": int(ws.count_items().get("en", 0))}
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "script-src 'unsafe-inline'\">"
        f"<title>kzalign report: {plural(counts['ru'], 'Russian item')}, {plural(counts['links'], 'link')}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>Russian ↔ English links</h1><div class=\"sub\">{counts['ru']} Russian and {counts['en']} English items · "
        f"{plural(counts['links'], 'link')} · {plural(counts['pairs'], 'sentence pair')} · made by kzalign {__version__} from "
        f"<code>{_esc(ws.path.name)}</code> · <code>{_esc(signature)}</code>{_esc(gsig)}</div></header>"
        '<div class="controls"><input type="search" id="q" placeholder="Search titles, sentences, names…" aria-label="search">'
        '<label>Status <select id="status"><option value="all">all</option><option value="proposed">proposed</option>'
        '<option value="accepted">accepted</option></select></label>'
        '<label>Score ≥ <input type="number" id="minscore" min="0" max="1" step="0.05" value="0" style="width:70px"></label>'
        '<label>From <input type="date" id="from"></label><label>to <input type="date" id="to"></label>'
        '<label><input type="checkbox" id="unlinked" checked> unlinked items</label><span id="count"></span></div>'
        f"<main>{body}</main><script>{_JS}</script>"
        f"<script type=\"application/json\" id=\"kzalign-data\">{_esc(json.dumps(counts))}</script></body></html>"
    )
    return page, ReportStats(path=Path(), ru_items=counts["ru"], links=counts["links"], pairs=counts["pairs"])


def write_report(ws: Workspace, path: str | Path, glossary: Glossary | None = None) -> ReportStats:
    """Write the report of ``ws`` to ``path`` atomically (see :func:`build_report`), after the output guard."""
    check_output(path, workspace=ws.path)
    page, stats = build_report(ws, glossary)
    stats.path = write_atomic(path, page)
    return stats
