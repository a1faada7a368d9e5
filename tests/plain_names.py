"""Name finding as it was before the fast paths: a walk over every word, with no per-word caches of its own.

The reference the fast matchers in kzalign.glossary are checked against (tests/test_names_fast.py,
tests/test_key_fast_paths.py). It reads a Glossary's indexes (built as before), uses the functions the fast
paths left as they were (``_ru_key``, ``_ru_token_fits`` uncached, ``_spelling_end``, ``best_window``) and
computes everything else word by word, with pymorphy3 tags tested by ``grammeme in tag``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from kzalign.core.translit import strip_accents, transliterate
from kzalign.glossary import Glossary, NameMatch
from kzalign.glossary.matcher import _GAP, _PREFIX, _ru_key, _ru_token_fits, best_window, unknown_name_key
from kzalign.glossary.morph import PROPER_TAGS, initials_before, morph, parses

RU_TOKEN = re.compile(r"[^\W\d_]+")
EN_TOKEN = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
WORD = re.compile(r"[^\W_]+")
EN_INITIALS = re.compile(r"(?:(?<![^\W\d_])[A-Z]\.\s?){1,2}$")
_FUNCTION_POS = ("PREP", "CONJ", "PRCL", "ADVB", "VERB", "INFN", "NPRO")


def is_proper_word(word: str, sentence_start: bool) -> bool:
    if not word[:1].isupper() or not re.match(r"[А-ЯЁӘҒҚҢӨҰҮҺІ]", word):
        return False
    if len(word) > 1 and word.isupper():
        return False
    low = word.casefold()
    ps = parses(low)
    known = morph().word_is_known(low)
    if sentence_start:
        return (not known and not any(p.tag.POS in _FUNCTION_POS for p in ps[:1])) or any(
            t in ps[0].tag for t in PROPER_TAGS)
    return not known or any(any(t in p.tag for t in PROPER_TAGS) for p in ps)


def ru_nominative(word: str) -> str:
    low = word.casefold()
    if re.search(r"(ов|ев|ёв|ин|ын|улы|ұлы|кызы|қызы|ко|дзе|швили|ян)$", low):
        return word
    ps = parses(low)
    if any("nomn" in p.tag and "sing" in p.tag for p in ps):
        return word
    named = sorted(ps, key=lambda p: ("Surn" not in p.tag, "Name" not in p.tag and "Geox" not in p.tag))
    for p in named:
        nom = p.inflect({"nomn", "sing"}) or p.inflect({"nomn"})
        if nom is not None:
            out = nom.word
            return out[:1].upper() + out[1:] if word[:1].isupper() else out
    return word


def looks_foreign(words: list[str]) -> bool:
    words = [w for w in words if len(w) > 1]
    end = r"(ов|ев|ёв|ин|ын|ова|ева|ина|ына|улы|ұлы|кызы|қызы|бай|бек|баев|баева|ко|ий|ая|ич|на)$"
    if not words or any(re.search(end, w.casefold()) for w in words):
        return False
    first = words[0].casefold()
    return not (morph().word_is_known(first) and any("Name" in p.tag for p in parses(first)))


def sentence_start(text: str, pos: int) -> bool:
    j = pos - 1
    while j >= 0 and text[j] in " \t«\"'(–—-":
        j -= 1
    return j < 0 or text[j] in ".!?…\n:"


def with_initials(text: str, start: int, pattern: re.Pattern[str] | None = None) -> int:
    found = initials_before(text, start) if pattern is None else initials_before(text, start, pattern)
    return start if found is None else found


def pattern_at(g: Glossary, text: str, toks: Sequence[re.Match[str]], i: int):  # noqa: ANN201
    word = toks[i].group()
    best, best_score = None, None
    cands = {id(p): p for key in _ru_key(word) for p in g._ru_first.get(key, ())}
    for pat in cands.values():
        n = len(pat.tokens)
        if i + n > len(toks):
            continue
        if all((not j or _GAP.fullmatch(text, toks[i + j - 1].end(), toks[i + j].start()))
               and _ru_token_fits.__wrapped__(toks[i + j].group(), pat.tokens[j]) for j in range(n)):
            score = (n, 0 if pat.partial else 1, -pat.entry)
            if best_score is None or score > best_score:
                best, best_score = pat, score
    return best


def find_ru(g: Glossary, text: str) -> list[NameMatch]:
    toks = list(RU_TOKEN.finditer(text))
    out: list[NameMatch] = []
    i = 0
    while i < len(toks):
        low = toks[i].group().casefold().replace("ё", "е")
        pat = pattern_at(g, text, toks, i) if low[:_PREFIX] in g._ru_prefixes else None
        if pat is None:
            i += 1
            continue
        n = len(pat.tokens)
        start, end = toks[i].start(), toks[i + n - 1].end()
        start = with_initials(text, start) if pat.partial else start
        e = g.entries[pat.entry]
        out.append(NameMatch(start, end, text[start:end], e.en, e, e.status == "approved"))
        i += n
    return out


def flush(text: str, group: list[re.Match[str]], windows: list[tuple[str, ...]], out: list[NameMatch]) -> None:
    if not group:
        return
    start, end = group[0].start(), group[-1].end()
    start = with_initials(text, start)
    words = [ru_nominative(g.group()) for g in group]
    en = " ".join(transliterate(w) for w in words)
    en = re.sub(r"\s*-\s*", "-", en) if "-" in text[group[0].start():end] else en
    form = "foreign?" if looks_foreign(words) else "transliterated"
    best = best_window([w for w in words if len(w) > 1], windows)
    if best and best[0] >= 0.8:
        en, form = " ".join(best[1]), "recovered"
    out.append(NameMatch(start, end, text[start:end], en, None, False, form))
    group.clear()


def covered(known: Sequence[NameMatch], pos: int) -> bool:
    return any(m.start <= pos < m.end for m in known)


def ru_names(g: Glossary, text: str, en_context: Iterable[str] = ()) -> list[NameMatch]:
    windows = [w for t in en_context for w in en_windows(g, t)]
    known = find_ru(g, text)
    out, group = list(known), []
    for tok in RU_TOKEN.finditer(text):
        pos = tok.start()
        if covered(known, pos) or not tok.group()[:1].isupper():
            flush(text, group, windows, out)
            continue
        at_start = sentence_start(text, pos) and not (not group and initials_before(text, pos) is not None)
        if is_proper_word(tok.group(), at_start):
            if group and not _GAP.fullmatch(text, group[-1].end(), pos):
                flush(text, group, windows, out)
            group.append(tok)
        else:
            flush(text, group, windows, out)
    flush(text, group, windows, out)
    return sorted(out, key=lambda m: m.start)


def find_en(g: Glossary, text: str) -> list[NameMatch]:
    plain = strip_accents(text)
    out: list[NameMatch] = []
    last_end = 0
    for w in WORD.finditer(plain):
        if w.start() < last_end:
            continue
        for sp in g._en_index.get(w.group().lower(), ()):
            end = g._spelling_end(plain, w.start(), sp)  # unchanged by the fast paths
            if end < 0:
                continue
            k = g._en_keys[sp.key]
            start = with_initials(plain, w.start(), EN_INITIALS) if k.partial else w.start()
            e = g.entries[k.entry]
            out.append(NameMatch(start, end, text[start:end], e.en, e, e.status == "approved", k.form))
            last_end = end
            break
    return out


def en_names(g: Glossary, text: str) -> list[NameMatch]:
    known = find_en(g, text)
    out = list(known)
    for tok in EN_TOKEN.finditer(text):
        pos = tok.start()
        if covered(known, pos):
            continue
        w = re.sub(r"['’]s$", "", tok.group())
        if len(w) >= 3 and w[:1].isupper() and re.match(r"[A-Z]", strip_accents(w[:1])):
            out.append(NameMatch(pos, pos + len(w), w, w, None, False, "unknown"))
    return sorted(out, key=lambda m: m.start)


def en_windows(g: Glossary, text: str) -> list[tuple[str, ...]]:
    runs: list[list[NameMatch]] = []
    for m in (m for m in en_names(g, text) if m.entry is None):
        if runs and _GAP.fullmatch(text, runs[-1][-1].end, m.start):
            runs[-1].append(m)
        else:
            runs.append([m])
    return [tuple(x.surface for x in r) for r in runs]


def name_keys(text: str, lang: str, g: Glossary) -> set[str]:
    keys: set[str] = set()
    for m in ru_names(g, text) if lang == "ru" else en_names(g, text):
        if m.entry is not None:
            keys.add(m.entry.en)
            continue
        for w in re.findall(r"[^\W\d_]{3,}", m.en):
            keys.add(unknown_name_key(w))
    return keys
