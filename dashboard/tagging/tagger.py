"""Tag a headline: which watchlist companies it names and how strongly it speaks to each theme.

Pure and deterministic: the result depends only on the text and the taxonomy.

Matching
    Text, terms and aliases go through one tokenizer (words; punctuation and hyphens dropped),
    so "export-control", "export control" and "export, control" are the same phrase. Theme
    terms are compared after a light suffix-stripping stem, so "export controls",
    "export-controlled" and "export control" all match the term "export control", and
    "bans", "banned", "banning" match "ban". In a term, "a|b" means either word and "..."
    lets up to three other words stand ("withhold ... model" matches "withholds latest AI
    model"). Company aliases are compared without stemming (an acronym's plural "TPUs" and
    a version number "Trainium2" are allowed); case-sensitive aliases must match their exact
    capitalisation ("Arm", not "arm"); vetoing neighbours ("micron-scale", "robotic Arm")
    and context rules (an ambiguous alias needs another watched company, a carried theme or
    a context word) come from the taxonomy.

Scoring
    Each theme term found contributes an effective weight

        w = weight * place * topic

    where place is 1 in the title and ``summary_factor`` in the summary (a term counts once,
    at its best place; terms lighter than ``summary_min_weight`` count in the title only),
    and topic is 1 unless the headline names no watched company and holds none of the
    taxonomy's ``topic_words``, in which case it is ``off_topic_factor``. A term lying inside
    a stronger or longer hit of the same theme adds nothing ("export" inside "export
    controls"); words inside a theme's ``exclude`` phrases are never its evidence. Then

        score = 1 - prod(1 - w_i)

    which stays in [0, 1], equals the weight for a single term, and grows with independent
    evidence. A headline carries a theme when its score reaches the theme's threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.models import evidence_terms
from dashboard.tagging.taxonomy import (
    TOKEN_RE,
    Taxonomy,
    fold,
    stem,
    term_parts,
    uncase_plural,
    unversion,
)

_CACHE_LIMIT = 200_000
MAX_GAP = 3  # words allowed where a term says "..." ("withhold ... model")


@dataclass(frozen=True, slots=True)
class CompanyMatch:
    name: str  # canonical company name
    alias: str  # the alias or ticker, as written in the taxonomy, that matched first


@dataclass(frozen=True, slots=True)
class Evidence:
    term: str  # the words of the headline that matched a taxonomy term
    where: str  # "title" or "summary"
    weight: float  # effective weight that went into the score


@dataclass(frozen=True, slots=True)
class Tags:
    companies: tuple[CompanyMatch, ...]
    scores: dict[str, float]
    evidence: dict[str, tuple[Evidence, ...]]
    themes: tuple[str, ...]


def _rest(stems: tuple[str, ...], end: int, rest: tuple[dict, ...]) -> int:
    """Match the parts after each "..." (up to MAX_GAP words on); the term's end, or -1."""
    n = len(stems)
    for alternatives in rest:
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


def _outermost(found: list[tuple[int, int, str, float]]) -> list[tuple[int, int, str, float]]:
    """Drop a hit lying inside a stronger (or as strong and longer) hit of the same theme,
    so "export" inside "export controls" adds nothing; a stronger inner term still counts."""
    order = sorted(found, key=lambda h: (-h[3], h[0] - h[1]))
    kept: list[tuple[int, int, str, float]] = []
    for hit in order:
        i, end = hit[0], hit[1]
        if not any(a <= i and end <= b for a, b, _, _ in kept):
            kept.append(hit)
    return sorted(kept)


def _same_case(cased: tuple[str, ...], i: int, exact: tuple[str, ...]) -> bool:
    """Exact capitalisation, allowing a plain plural on the last word ("TPUs")."""
    got = cased[i : i + len(exact)]
    last = len(exact) - 1
    return got[:last] == exact[:last] and got[last] in (exact[last], exact[last] + "s")


def _cased(token: str) -> str:
    return unversion(uncase_plural(token))


def _stems(text: str) -> tuple[str, ...]:
    return tuple(stem(fold(t)) for t in TOKEN_RE.findall(text))


def _alternatives(slots: list[list[str]]) -> list[tuple[str, ...]]:
    """Every spelled-out form of one part: [["domestic", "local"], ["chip"]] -> two forms."""
    forms: list[tuple[str, ...]] = [()]
    for alts in slots:
        forms = [f + _stems(a) for f in forms for a in alts]
    return forms


def _by_first(forms: list[tuple[str, ...]]) -> dict[str, tuple[tuple[str, ...], ...]]:
    out: dict[str, list] = {}
    for f in forms:
        out.setdefault(f[0], []).append(f)
    return {k: tuple(v) for k, v in out.items()}


class _Index:
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


class Tagger:
    """Compiled form of a taxonomy; `tag()` is the hot path (tens of thousands a second)."""

    def __init__(self, taxonomy: Taxonomy):
        self.taxonomy = taxonomy
        self._ids = taxonomy.theme_ids
        self._thresholds = tuple(t.threshold for t in taxonomy.themes)
        self._zeros = dict.fromkeys(self._ids, 0.0)
        self._factor = taxonomy.summary_factor
        self._off_topic = taxonomy.off_topic_factor
        self._summary_min = taxonomy.summary_min_weight
        self._topic = frozenset(_stems(w)[0] for w in taxonomy.topic_words)
        self._cache: dict[str, tuple[str, str, str]] = {}  # surface -> (cased, folded, stem)

        # entry: (first part, later parts as {first word: alternatives}, theme, text, weight,
        #         exact capitalisation or None)
        self._terms = _Index()
        self._excludes = _Index()
        for k, theme in enumerate(taxonomy.themes):
            for term in theme.terms:
                exact = None
                if term.text in theme.case_sensitive:
                    exact = tuple(_cased(t) for t in TOKEN_RE.findall(term.text))
                parts = term_parts(term.text)
                rest = tuple(_by_first(_alternatives(p)) for p in parts[1:])
                for first in dict.fromkeys(_alternatives(parts[0])):
                    self._terms.add(first, (first, rest, k, term.text, term.weight, exact))
            for phrase in theme.exclude:
                for first in _alternatives(term_parts(phrase.replace("...", " "))[0]):
                    self._excludes.add(first, (first, k))
        self._term_keys = self._terms.keys()
        self._exclude_keys = self._excludes.keys()

        # entry: (folded alias, exact capitalisation or None, company index, alias, context?)
        self._companies = _Index()
        self._rules = []
        for ci, co in enumerate(taxonomy.companies):
            for alias in co.aliases:
                cased = tuple(_cased(t) for t in TOKEN_RE.findall(alias))
                folded = tuple(fold(t) for t in TOKEN_RE.findall(alias))
                exact = cased if alias in co.case_sensitive else None
                ctx = alias in co.needs_context
                variants = [folded]
                if exact is None and not folded[-1].endswith("s"):
                    variants.append((*folded[:-1], folded[-1] + "s"))
                for v in variants:
                    self._companies.add(v, (v, exact, ci, alias, ctx))
            for ticker in co.tickers:
                cased = tuple(_cased(t) for t in TOKEN_RE.findall(ticker))
                folded = tuple(fold(t) for t in TOKEN_RE.findall(ticker))
                self._companies.add(folded, (folded, cased, ci, ticker, False))
            context_themes = co.context_themes or taxonomy.theme_ids
            self._rules.append(
                (
                    frozenset(fold(w) for w in co.not_before),
                    frozenset(fold(w) for w in co.not_after if w != "#"),
                    "#" in co.not_after,
                    frozenset(_stems(w)[0] for w in co.context),
                    tuple(taxonomy.theme_ids.index(t) for t in context_themes),
                )
            )
        self._company_keys = self._companies.keys()

    def _norm(self, text: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        """(cased, folded, stems) token tuples; slices of them compare directly with terms."""
        cache = self._cache
        rows = [cache.get(t) or self._learn(t) for t in TOKEN_RE.findall(text)]
        if not rows:
            return (), (), ()
        return tuple(zip(*rows, strict=True))  # type: ignore[return-value]

    def _learn(self, token: str) -> tuple[str, str, str]:
        if len(self._cache) > _CACHE_LIMIT:
            self._cache.clear()
        folded = fold(token)
        row = self._cache[token] = (_cased(token), folded, stem(folded))
        return row

    def tag(self, title: str, summary: str = "") -> Tags:
        parts = [("title", self._norm(title or ""))]
        if summary:
            parts.append(("summary", self._norm(summary)))
        mentions = self._company_mentions(parts)
        scale = 1.0
        if (
            self._off_topic < 1.0
            and not mentions
            and all(self._topic.isdisjoint(stems) for _, (_, _, stems) in parts)
        ):
            scale = self._off_topic
        best: dict[int, dict[str, Evidence]] = {}
        for where, (cased, _, stems) in parts:
            self._theme_hits(where, cased, stems, best, scale)
        scores = dict(self._zeros)
        evidence = {}
        carried: tuple[str, ...] = ()
        if best:
            for k in sorted(best):
                found = best[k]
                miss = 1.0
                for ev in found.values():
                    miss *= 1.0 - ev.weight
                tid = self._ids[k]
                scores[tid] = score = round(1.0 - miss, 6)
                evidence[tid] = tuple(found.values())
                if score >= self._thresholds[k]:
                    carried += (tid,)
        companies = self._resolve(mentions, parts, scores) if mentions else ()
        return Tags(companies, scores, evidence, carried)

    def _theme_hits(
        self,
        where: str,
        cased: tuple[str, ...],
        stems: tuple[str, ...],
        best: dict[int, dict[str, Evidence]],
        scale: float,
    ) -> None:
        present = self._term_keys.intersection(stems)
        if not present:
            return
        n = len(stems)
        blocked: dict[int, list[tuple[int, int]]] = {}
        excluded = self._exclude_keys.intersection(stems)
        if excluded:
            candidates = self._excludes.candidates
            for i in [i for i, s in enumerate(stems) if s in excluded]:
                for first, k in candidates(stems, i, excluded):
                    end = i + len(first)
                    if len(first) <= 2 or stems[i:end] == first:
                        blocked.setdefault(k, []).append((i, end))
        single, multi = self._terms.single, self._terms.multi
        last = n - 1
        by_theme: dict[int, list] = {}
        reach: dict[int, int] = {}  # theme -> furthest end so far, to spot overlapping hits
        overlapping = set()
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
                    end = _rest(stems, end, rest)
                    if end < 0:
                        continue
                if exact is not None and not _same_case(cased, i, exact):
                    continue
                if k in blocked and any(a < end and i < b for a, b in blocked[k]):
                    continue
                if k in reach:
                    if i < reach[k]:
                        overlapping.add(k)
                    if end > reach[k]:
                        reach[k] = end
                    by_theme[k].append((i, end, text, weight))
                else:
                    reach[k] = end
                    by_theme[k] = [(i, end, text, weight)]
        factor, floor = (
            (scale, 0.0) if where == "title" else (scale * self._factor, self._summary_min)
        )
        for k, found in by_theme.items():
            if k in overlapping:
                found = _outermost(found)
            for i, end, text, weight in found:
                if weight < floor:
                    continue
                w = weight * factor
                seen = best.setdefault(k, {})
                old = seen.get(text)
                if old is None or old.weight < w:
                    # Shown as the headline wrote it; counted once per taxonomy term.
                    seen[text] = Evidence(" ".join(cased[i:end]), where, w)

    def _company_mentions(self, parts) -> list[tuple[int, str, bool]]:
        """Every alias found, vetoes applied; context rules wait for the theme scores."""
        comp = self._companies
        hits: list[tuple[int, str, bool]] = []  # (company index, alias, needs context)
        for _, (cased, folded, _) in parts:
            present = self._company_keys.intersection(folded)
            if not present:
                continue
            n = len(folded)
            single, multi = comp.single, comp.multi
            free = 0  # aliases do not overlap: "Arm Holdings" is one mention
            for i in [i for i, f in enumerate(folded) if f in present]:
                if i < free:
                    continue
                w = folded[i]
                cands = single.get(w, ())
                second = multi.get(w)
                if second and i < n - 1:
                    more = second.get(folded[i + 1])
                    if more:
                        cands = [*more, *cands]
                for key, exact, ci, alias, ctx in cands:
                    end = i + len(key)
                    if end > n or (end - i > 2 and folded[i:end] != key):
                        continue
                    if exact is not None and cased[i:end] != exact:
                        continue
                    not_before, not_after, no_number, _, _ = self._rules[ci]
                    if end < n and folded[end] in not_before:
                        continue
                    if i > 0 and (
                        folded[i - 1] in not_after or (no_number and folded[i - 1][:1].isdigit())
                    ):
                        continue
                    hits.append((ci, alias, ctx))
                    free = end
                    break
        return hits

    def _resolve(self, hits, parts, scores: dict[str, float]) -> tuple[CompanyMatch, ...]:
        if not hits:
            return ()
        sure = {ci for ci, _, ctx in hits if not ctx}
        words: set[str] | None = None
        out: dict[int, CompanyMatch] = {}
        for ci, alias, ctx in hits:
            if ci in out:
                continue
            if ctx and ci not in sure:
                _, _, _, context, context_themes = self._rules[ci]
                ok = bool(sure - {ci}) or any(
                    scores[self._ids[k]] >= self._thresholds[k] for k in context_themes
                )
                if not ok and context:
                    if words is None:
                        words = {s for _, (_, _, stems) in parts for s in stems}
                    ok = not context.isdisjoint(words)
                if not ok:
                    continue
            out[ci] = CompanyMatch(self.taxonomy.companies[ci].name, alias)
        return tuple(out.values())


def format_tags(tags: Tags, taxonomy: Taxonomy) -> str:
    """Multi-line, human-readable rendering for `chipwatch tag "TEXT"`."""
    names = ", ".join(m.name for m in tags.companies) or "(none)"
    lines = [f"companies: {names}"]
    width = max(len(t) for t in taxonomy.theme_ids)
    for theme in taxonomy.themes:
        score = tags.scores.get(theme.id, 0.0)
        mark = "yes" if theme.id in tags.themes else "no "
        ev = evidence_terms(
            [(e.term, e.where, e.weight) for e in tags.evidence.get(theme.id, ())], weights=True
        )
        line = f"{theme.id:<{width}}  {score:.3f}  {mark} (threshold {theme.threshold:g})"
        lines.append(f"{line}  {ev}" if ev else line)
    return "\n".join(lines)
