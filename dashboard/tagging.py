"""Tag a headline: which watchlist companies it names and how strongly it speaks to each theme.

Pure and deterministic: the result depends only on the text and the taxonomy.

Matching
    Text, terms and aliases go through one tokenizer (words; punctuation and hyphens dropped),
    so "export-control", "export control" and "export, control" are the same phrase. Theme
    terms are compared after a light suffix-stripping stem, so "export controls",
    "export-controlled" and "export control" all match the term "export control", and
    "bans", "banned", "banning" match "ban". A term may hold "..." where up to three other
    words may stand ("withhold ... model" matches "withholds latest AI model"). Company aliases are compared without stemming
    (a plain plural "s" is allowed: "TPUs"); aliases listed as case-sensitive must match
    their exact capitalisation ("Arm", not "arm"); vetoing neighbours and context rules from
    the taxonomy keep "micron-scale", "Meta-analysis" or "robotic Arm" out.

Scoring
    Each theme term found contributes an effective weight ``w = weight`` when it is in the
    title and ``w = weight * summary_factor`` when only in the summary (a term counts once,
    at its best place). A term nested inside a longer term of the same theme does not count
    twice ("export" inside "export controls"). Words inside a theme's ``exclude`` phrases are
    never evidence for that theme. The theme's score is

        score = 1 - prod(1 - w_i)

    which stays in [0, 1], equals the weight for a single term, and grows with independent
    evidence. A headline carries a theme when its score reaches the theme's threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.taxonomy import TOKEN_RE, Taxonomy, fold, term_parts, uncase_plural, unversion

_CACHE_LIMIT = 200_000
MAX_GAP = 3  # words allowed where a term says "..." ("withhold ... model")


@dataclass(frozen=True, slots=True)
class CompanyMatch:
    name: str  # canonical company name
    alias: str  # the alias or ticker, as written in the taxonomy, that matched first


@dataclass(frozen=True, slots=True)
class Evidence:
    term: str  # the term as written in the taxonomy
    where: str  # "title" or "summary"
    weight: float  # effective weight that went into the score


@dataclass(frozen=True, slots=True)
class Tags:
    companies: tuple[CompanyMatch, ...]
    scores: dict[str, float]
    evidence: dict[str, tuple[Evidence, ...]]
    themes: tuple[str, ...]


def stem(word: str) -> str:
    """A deliberately small suffix stripper; terms and text go through the same one."""
    if len(word) <= 3 or not word.isalpha():
        return word
    w = word
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith(("sses", "ches", "shes", "xes", "zes")):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if w.endswith("ing") and len(w) >= 6:
        w = w[:-3]
    elif w.endswith("ied") and len(w) >= 5:
        w = w[:-3] + "y"
    elif w.endswith("ed") and len(w) >= 5:
        w = w[:-2]
    if len(w) >= 4 and w[-1] == w[-2] and w[-1] not in "aeiouy":
        w = w[:-1]
    if len(w) >= 4 and w[-1] == "e":
        w = w[:-1]
    return w


def _match(stems: list[str], i: int, segs: tuple[tuple[str, ...], ...]) -> int:
    """End of the term starting at stems[i], or -1; later parts may sit MAX_GAP words on."""
    n = len(stems)
    first = segs[0]
    end = i + len(first)
    if end > n or (len(first) > 1 and tuple(stems[i:end]) != first):
        return -1
    for seg in segs[1:]:
        size = len(seg)
        for j in range(end, min(end + MAX_GAP, n - size) + 1):
            if stems[j] == seg[0] and (size == 1 or tuple(stems[j : j + size]) == seg):
                end = j + size
                break
        else:
            return -1
    return end


def _same_case(cased: list[str], i: int, exact: tuple[str, ...]) -> bool:
    """Exact capitalisation, allowing a plain plural on the last word ("TPUs")."""
    got = cased[i : i + len(exact)]
    last = len(exact) - 1
    return got[:last] == list(exact[:last]) and got[last] in (exact[last], exact[last] + "s")


def _cased(token: str) -> str:
    return unversion(uncase_plural(token))


def _expand(stems_of, text: str) -> list[tuple[tuple[str, ...], ...]]:
    """Every spelled-out form of a term: "domestic|local ... chip" -> two forms."""
    forms: list[tuple[tuple[str, ...], ...]] = [()]
    for slots in term_parts(text):
        words: list[tuple[str, ...]] = [()]
        for alts in slots:
            words = [w + stems_of(a) for w in words for a in alts]
        forms = [f + (w,) for f in forms for w in words]
    return forms


class Tagger:
    """Compiled form of a taxonomy; `tag()` is the hot path (tens of thousands a second)."""

    def __init__(self, taxonomy: Taxonomy):
        self.taxonomy = taxonomy
        self._ids = taxonomy.theme_ids
        self._thresholds = tuple(t.threshold for t in taxonomy.themes)
        self._factor = taxonomy.summary_factor
        self._cache: dict[str, tuple[str, str, str]] = {}  # surface -> (cased, folded, stem)

        # first stem -> [(stems, theme index, term text, weight)], longest first
        terms: dict[str, list] = {}
        excludes: dict[str, list] = {}
        for k, theme in enumerate(taxonomy.themes):
            for term in theme.terms:
                exact = None
                if term.text in theme.case_sensitive:
                    exact = tuple(_cased(t) for t in TOKEN_RE.findall(term.text))
                for segs in _expand(self._stems, term.text):
                    entry = (segs, k, term.text, term.weight, exact)
                    terms.setdefault(segs[0][0], []).append(entry)
            for phrase in theme.exclude:
                for (key,) in _expand(self._stems, phrase.replace("...", " ")):
                    excludes.setdefault(key[0], []).append((key, k))
        for lst in terms.values():
            lst.sort(key=lambda e: -sum(len(seg) for seg in e[0]))
        for lst in excludes.values():
            lst.sort(key=lambda e: -len(e[0]))
        self._terms = terms
        self._excludes = excludes

        # first folded token -> [(folded, cased-or-None, company index, alias, needs context)]
        comp: dict[str, list] = {}
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
                    comp.setdefault(v[0], []).append((v, exact, ci, alias, ctx))
            for ticker in co.tickers:
                cased = tuple(_cased(t) for t in TOKEN_RE.findall(ticker))
                folded = tuple(fold(t) for t in TOKEN_RE.findall(ticker))
                comp.setdefault(folded[0], []).append((folded, cased, ci, ticker, False))
            context_themes = co.context_themes or taxonomy.theme_ids
            self._rules.append(
                (
                    frozenset(fold(w) for w in co.not_before),
                    frozenset(fold(w) for w in co.not_after if w != "#"),
                    "#" in co.not_after,
                    frozenset(self._stems(w)[0] for w in co.context),
                    tuple(taxonomy.theme_ids.index(t) for t in context_themes),
                )
            )
        for lst in comp.values():
            lst.sort(key=lambda e: -len(e[0]))
        self._companies = comp

    def _stems(self, text: str) -> tuple[str, ...]:
        return tuple(stem(fold(t)) for t in TOKEN_RE.findall(text))

    def _norm(self, text: str) -> tuple[list[str], list[str], list[str]]:
        cache = self._cache
        rows = []
        for tok in TOKEN_RE.findall(text):
            row = cache.get(tok)
            if row is None:
                if len(cache) > _CACHE_LIMIT:
                    cache.clear()
                folded = fold(tok)
                row = cache[tok] = (_cased(tok), folded, stem(folded))
            rows.append(row)
        if not rows:
            return [], [], []
        cased, folded, stems = zip(*rows, strict=True)
        return list(cased), list(folded), list(stems)

    def tag(self, title: str, summary: str = "") -> Tags:
        parts = [("title", self._norm(title or ""))]
        if summary:
            parts.append(("summary", self._norm(summary)))
        n_themes = len(self._ids)
        best: list[dict[str, Evidence]] = [{} for _ in range(n_themes)]
        for where, (cased, _, stems) in parts:
            self._theme_hits(where, cased, stems, best)
        scores = {}
        evidence = {}
        carried = []
        for k, tid in enumerate(self._ids):
            found = best[k]
            if not found:
                scores[tid] = 0.0
                continue
            miss = 1.0
            for ev in found.values():
                miss *= 1.0 - ev.weight
            score = round(1.0 - miss, 6)
            scores[tid] = score
            evidence[tid] = tuple(found.values())
            if score >= self._thresholds[k]:
                carried.append(tid)
        companies = self._company_hits(parts, scores)
        return Tags(companies, scores, evidence, tuple(carried))

    def _theme_hits(
        self, where: str, cased: list[str], stems: list[str], best: list[dict[str, Evidence]]
    ) -> None:
        terms = self._terms
        factor = 1.0 if where == "title" else self._factor
        n = len(stems)
        blocked: dict[int, list[tuple[int, int]]] = {}
        if self._excludes:
            for i, s in enumerate(stems):
                for key, k in self._excludes.get(s, ()):
                    if tuple(stems[i : i + len(key)]) == key:
                        blocked.setdefault(k, []).append((i, i + len(key)))
        hits = []
        for i in range(n):
            cands = terms.get(stems[i])
            if not cands:
                continue
            for segs, k, text, weight, exact in cands:
                end = _match(stems, i, segs)
                if end < 0 or (exact is not None and not _same_case(cased, i, exact)):
                    continue
                if k in blocked and any(a < end and i < b for a, b in blocked[k]):
                    continue
                hits.append((k, i, end, text, weight))
        if len(hits) > 1:
            # A term inside a stronger or longer hit of the same theme adds nothing.
            kept: list[tuple[int, int, int]] = []
            keep = set()
            order = sorted(range(len(hits)), key=lambda h: (-hits[h][4], hits[h][1] - hits[h][2]))
            for h in order:
                k, i, end = hits[h][:3]
                if not any(kk == k and a <= i and end <= b for kk, a, b in kept):
                    kept.append((k, i, end))
                    keep.add(h)
            hits = [hit for h, hit in enumerate(hits) if h in keep]
        for k, _, _, text, weight in hits:
            w = weight * factor
            seen = best[k].get(text)
            if seen is None or seen.weight < w:
                best[k][text] = Evidence(text, where, w)

    def _company_hits(self, parts, scores: dict[str, float]) -> tuple[CompanyMatch, ...]:
        comp = self._companies
        hits: list[tuple[int, str, bool]] = []  # (company index, alias, needs context)
        for _, (cased, folded, _) in parts:
            n = len(folded)
            i = 0
            while i < n:
                cands = comp.get(folded[i])
                if not cands:
                    i += 1
                    continue
                step = 1
                for key, exact, ci, alias, ctx in cands:
                    end = i + len(key)
                    if end > n or (len(key) > 1 and tuple(folded[i:end]) != key):
                        continue
                    if exact is not None and tuple(cased[i:end]) != exact:
                        continue
                    not_before, not_after, no_number, _, _ = self._rules[ci]
                    if end < n and folded[end] in not_before:
                        continue
                    if i > 0 and (
                        folded[i - 1] in not_after or (no_number and folded[i - 1][:1].isdigit())
                    ):
                        continue
                    hits.append((ci, alias, ctx))
                    step = len(key)
                    break
                i += step
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
        ev = "; ".join(
            f"{e.term} ({e.where} {e.weight:.2f})" for e in tags.evidence.get(theme.id, ())
        )
        line = f"{theme.id:<{width}}  {score:.3f}  {mark} (threshold {theme.threshold:g})"
        lines.append(f"{line}  {ev}" if ev else line)
    return "\n".join(lines)
