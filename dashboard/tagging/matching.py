"""Matching primitives shared by theme terms, direction cues and company aliases.

Terms are compiled once into an index keyed by their first word (and second, for phrases),
so a headline costs a few dict lookups per word; `scan` finds every term of an index in one
part of a headline, with the same rules for inflections, gaps, alternatives, capitalisation
and excluded phrases wherever it is used.
"""

from __future__ import annotations

from dashboard.tagging.taxonomy import TOKEN_RE, fold, stem, term_parts, uncase_plural, unversion

MAX_GAP = 3  # words allowed where a term says "..." ("withhold ... model")


def rest_end(stems: tuple[str, ...], end: int, rest: tuple[tuple[frozenset, dict], ...]) -> int:
    """Match the parts after each "..." (up to MAX_GAP words on); the term's end, or -1.
    Each part of `rest` is (its first words, {first word: alternatives})."""
    n = len(stems)
    for _, alternatives in rest:
        for j in range(end, min(end + MAX_GAP, n - 1) + 1):
            for alt in alternatives.get(stems[j], ()):
                size = len(alt)
                if size == 1 or stems[j : j + size] == alt:
                    end = j + size
                    break
            else:
                continue
            break
        else:
            return -1
    return end


def outermost(found: list[tuple[int, int, str, float]]) -> list[tuple[int, int, str, float]]:
    """Drop a hit lying inside a stronger (or as strong and longer) hit of the same theme,
    so "export" inside "export controls" adds nothing; a stronger inner term still counts."""
    order = sorted(found, key=lambda h: (-h[3], h[0] - h[1]))
    kept: list[tuple[int, int, str, float]] = []
    for hit in order:
        i, end = hit[0], hit[1]
        if not any(a <= i and end <= b for a, b, _, _ in kept):
            kept.append(hit)
    return sorted(kept)


def same_case(cased: tuple[str, ...], i: int, exact: tuple[str, ...]) -> bool:
    """Exact capitalisation, allowing a plain plural on the last word ("TPUs")."""
    got = cased[i : i + len(exact)]
    last = len(exact) - 1
    return got[:last] == exact[:last] and got[last] in (exact[last], exact[last] + "s")


def cased_token(token: str) -> str:
    return unversion(uncase_plural(token))


def word_stems(text: str) -> tuple[str, ...]:
    return tuple(stem(fold(t)) for t in TOKEN_RE.findall(text))


def alternatives(slots: list[list[str]]) -> list[tuple[str, ...]]:
    """Every spelled-out form of one part: [["domestic", "local"], ["chip"]] -> two forms."""
    forms: list[tuple[str, ...]] = [()]
    for alts in slots:
        forms = [f + word_stems(a) for f in forms for a in alts]
    return forms


def by_first(forms: list[tuple[str, ...]]) -> dict[str, tuple[tuple[str, ...], ...]]:
    out: dict[str, list] = {}
    for f in forms:
        out.setdefault(f[0], []).append(f)
    return {k: tuple(v) for k, v in out.items()}


class Index:
    """Terms by first word, then by second word, so a headline costs a few dict lookups."""

    def __init__(self) -> None:
        self.single: dict[str, list] = {}
        self.multi: dict[str, dict[str, list]] = {}

    def add(self, first: tuple[str, ...], entry: tuple) -> None:
        if len(first) == 1:
            self.single.setdefault(first[0], []).append(entry)
        else:
            self.multi.setdefault(first[0], {}).setdefault(first[1], []).append(entry)

    def keys(self) -> frozenset[str]:
        """All first words; also sorts entries longest first, so the longest alias wins."""
        for table in (self.single, *self.multi.values()):
            for entries in table.values():
                entries.sort(key=lambda e: -len(e[0]))
        return frozenset(self.single) | frozenset(self.multi)

    def candidates(self, words: tuple[str, ...], i: int, present: frozenset | set):
        """Entries whose first part may start at words[i]; entry[0] is that first part."""
        w = words[i]
        if w not in present:
            return ()
        found = self.single.get(w, [])
        second = self.multi.get(w)
        if second and i + 1 < len(words):
            more = second.get(words[i + 1])
            if more:
                return [*more, *found]
        return found


def compile_terms(index: Index, k: int, text: str, weight: float, exact: bool) -> None:
    """Add one term (for theme or cue list k) to an index; entries are
    (first part, later parts as {first word: alternatives}, k, text, weight, exact or None)."""
    cased = tuple(cased_token(t) for t in TOKEN_RE.findall(text)) if exact else None
    parts = term_parts(text)
    rest = tuple((frozenset(f), f) for f in (by_first(alternatives(p)) for p in parts[1:]))
    for first in dict.fromkeys(alternatives(parts[0])):
        index.add(first, (first, rest, k, text, weight, cased))


def blocked_spans(
    index: Index, keys: frozenset, stems: tuple[str, ...]
) -> dict[int, list[tuple[int, int]]]:
    """Spans of excluded phrases, by theme: words there are never that theme's evidence."""
    blocked: dict[int, list[tuple[int, int]]] = {}
    excluded = keys.intersection(stems)
    if excluded:
        for i in [i for i, s in enumerate(stems) if s in excluded]:
            for first, _, k, *_ in index.candidates(stems, i, excluded):
                end = i + len(first)
                if len(first) <= 2 or stems[i:end] == first:
                    blocked.setdefault(k, []).append((i, end))
    return blocked


def scan(
    index: Index,
    present: frozenset | set,
    cased: tuple[str, ...],
    stems: tuple[str, ...],
    blocked: dict[int, list[tuple[int, int]]],
) -> tuple[dict[int, list[tuple[int, int, str, float]]], set[int]]:
    """Every hit of the index's terms: {k: [(start, end, text, weight), ...]} in order of
    start, and the set of k whose hits overlap (those need `outermost`)."""
    n = len(stems)
    single, multi = index.single, index.multi
    last = n - 1
    by_k: dict[int, list] = {}
    reach: dict[int, int] = {}  # k -> furthest end so far, to spot overlapping hits
    overlapping = set()
    words: set[str] | None = None  # the part's stems, built when a term has "..."
    for i in [i for i, s in enumerate(stems) if s in present]:
        w = stems[i]
        cands = single.get(w, ())
        second = multi.get(w)
        if second and i < last:
            more = second.get(stems[i + 1])
            if more:
                cands = [*more, *cands]
        for first, rest, k, text, weight, exact in cands:
            end = i + len(first)
            if end > n or (end - i > 2 and stems[i:end] != first):
                continue
            if rest:
                # most such terms fail for want of a later word anywhere: a set test first
                if words is None:
                    words = set(stems)
                for first_words, _ in rest:
                    if first_words.isdisjoint(words):
                        end = -1
                        break
                else:
                    end = rest_end(stems, end, rest)
                if end < 0:
                    continue
            if exact is not None and not same_case(cased, i, exact):
                continue
            if k in blocked and any(a < end and i < b for a, b in blocked[k]):
                continue
            if k in reach:
                if i < reach[k]:
                    overlapping.add(k)
                if end > reach[k]:
                    reach[k] = end
                by_k[k].append((i, end, text, weight))
            else:
                reach[k] = end
                by_k[k] = [(i, end, text, weight)]
    return by_k, overlapping
