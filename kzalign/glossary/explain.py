"""``kzalign translit --explain``: which glossary entry or transliteration rule produced each part."""

from __future__ import annotations

from kzalign.core.translit import Step
from kzalign.glossary.matcher import Glossary, translit_names

_WORD_RULES = ("word:", "ye-", "i-", "o-", "y-", "ss-")


def _is_letter_step(s: Step) -> bool:
    return s.rule == "letter" or s.rule.startswith(_WORD_RULES) or (
        s.rule != "copy" and not s.rule.startswith(("glossary:", "iuliia:")))


def _word_line(word: list[Step], scheme: str) -> str:
    src, dst = "".join(x.source for x in word), "".join(x.output for x in word)
    rules = [f"{x.source}→{x.output or '∅'} [{x.rule}]" for x in word if x.rule != "letter"]
    return f"  {src} → {dst}: {scheme} letter map" + ("; " + ", ".join(rules) if rules else "")


def explain_lines(text: str, scheme: str = "kazakh", glossary: Glossary | None = None,
                  explain: bool = False) -> list[str]:
    """Output line for ``text`` (glossary names, then the scheme), plus one line per part with ``explain``."""
    out, steps = translit_names(text, scheme, glossary)
    lines = [out]
    if not explain:
        return lines
    word: list[Step] = []
    for s in steps:
        if _is_letter_step(s):
            word.append(s)
            continue
        if word:
            lines.append(_word_line(word, scheme))
            word = []
        if s.rule != "copy":
            lines.append(f"  {s.source} → {s.output}  [{s.rule}]")
    if word:
        lines.append(_word_line(word, scheme))
    return lines
