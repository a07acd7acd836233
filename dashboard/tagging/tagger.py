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

from dataclasses import dataclass, field, replace

from dashboard.models import evidence_terms
from dashboard.tagging.cjk import CjkMatcher
from dashboard.tagging.direction import Cue, DirectionMatcher, sign
from dashboard.tagging.learned import load_model
from dashboard.tagging.matching import (
    Index,
    blocked_spans,
    cased_token,
    compile_terms,
    outermost,
    scan,
    word_stems,
)
from dashboard.tagging.taxonomy import TOKEN_RE, Taxonomy, fold, is_cjk, stem, tokens

_CACHE_LIMIT = 200_000
__all__ = ["CompanyMatch", "Cue", "Evidence", "Tagger", "Tags", "format_tags"]


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
    # Every theme id -> +1 escalating, -1 easing, 0 neutral; non-zero only for carried themes.
    directions: dict[str, int] = field(default_factory=dict)
    # Carried themes with direction cues -> the cues found (cancelled ones too, weight 0).
    direction_evidence: dict[str, tuple[Cue, ...]] = field(default_factory=dict)


class Tagger:
    """Compiled form of a taxonomy; `tag()` is the hot path (tens of thousands a second)."""

    def __init__(self, taxonomy: Taxonomy):
        self.taxonomy = taxonomy
        self._ids = taxonomy.theme_ids
        self._thresholds = tuple(t.threshold for t in taxonomy.themes)
        self._zeros = dict.fromkeys(self._ids, 0.0)
        self._neutral = dict.fromkeys(self._ids, 0)
        self._factor = taxonomy.summary_factor
        self._off_topic = taxonomy.off_topic_factor
        self._summary_min = taxonomy.summary_min_weight
        self._topic = frozenset(word_stems(w)[0] for w in taxonomy.topic_words if not is_cjk(w))
        self._cache: dict[str, tuple[str, str, str]] = {}  # surface -> (cased, folded, stem)

        self._terms = Index()
        self._excludes = Index()
        for k, theme in enumerate(taxonomy.themes):
            for term in theme.terms:
                if not is_cjk(term.text):
                    exact = term.text in theme.case_sensitive
                    compile_terms(self._terms, k, term.text, term.weight, exact)
            for phrase in theme.exclude:
                compile_terms(self._excludes, k, phrase.replace("...", " "), 1.0, False)
        self._offset = offset = len(self._ids)
        self._direction = DirectionMatcher(taxonomy, self._terms, offset)
        self._has_cues = frozenset(
            k for k, t in enumerate(taxonomy.themes) if t.escalating or t.easing
        )
        self._term_keys = self._terms.keys()
        self._exclude_keys = self._excludes.keys()
        self._cjk = CjkMatcher(taxonomy)
        self._learned = None
        if taxonomy.learned_threshold is not None:
            model = load_model()
            # (theme index, theme id, probability needed) for the themes the model knows
            least = dict(taxonomy.learned_thresholds)
            known = [
                (k, t.id, max(least.get(t.id, taxonomy.learned_threshold), t.threshold))
                for k, t in enumerate(taxonomy.themes)
                if t.id in model.themes
            ]
            self._learned = (model, known)

        # entry: (folded alias, exact capitalisation or None, company index, alias, context?)
        self._companies = Index()
        self._rules = []
        for ci, co in enumerate(taxonomy.companies):
            for alias in co.aliases:
                if is_cjk(alias):
                    continue  # tagging.cjk
                cased = tuple(cased_token(t) for t in TOKEN_RE.findall(alias))
                folded = tuple(fold(t) for t in TOKEN_RE.findall(alias))
                exact = cased if alias in co.case_sensitive else None
                ctx = alias in co.needs_context
                variants = [folded]
                if exact is None and not folded[-1].endswith("s"):
                    variants.append((*folded[:-1], folded[-1] + "s"))
                for v in variants:
                    self._companies.add(v, (v, exact, ci, alias, ctx))
            for ticker in co.tickers:
                if is_cjk(ticker):
                    continue
                cased = tuple(cased_token(t) for t in TOKEN_RE.findall(ticker))
                folded = tuple(fold(t) for t in TOKEN_RE.findall(ticker))
                self._companies.add(folded, (folded, cased, ci, ticker, False))
            context_themes = co.context_themes or taxonomy.theme_ids
            self._rules.append(
                (
                    frozenset(fold(w) for w in co.not_before if not is_cjk(w)),
                    frozenset(fold(w) for w in co.not_after if w != "#" and not is_cjk(w)),
                    "#" in co.not_after,
                    frozenset(word_stems(w)[0] for w in co.context if not is_cjk(w)),
                    tuple(taxonomy.theme_ids.index(t) for t in context_themes),
                )
            )
        self._company_keys = self._companies.keys()
        # CJK context words supply context as substrings of the raw text, like CJK aliases.
        self._cjk_context = [tuple(w for w in co.context if is_cjk(w)) for co in taxonomy.companies]

    def _norm(self, text: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        """(cased, folded, stems) token tuples; slices of them compare directly with terms."""
        cache = self._cache
        rows = [cache.get(t) or self._learn(t) for t in tokens(text)]
        if not rows:
            return (), (), ()
        return tuple(zip(*rows, strict=True))  # type: ignore[return-value]

    def _learn(self, token: str) -> tuple[str, str, str]:
        if len(self._cache) > _CACHE_LIMIT:
            self._cache.clear()
        folded = fold(token)
        row = self._cache[token] = (cased_token(token), folded, stem(folded))
        return row

    def tag(self, title: str, summary: str = "") -> Tags:
        title = title or ""
        parts = [("title", self._norm(title))]
        raws = [title]
        if summary:
            parts.append(("summary", self._norm(summary)))
            raws.append(summary)
        # Text in CJK script is matched as substrings (tagging.cjk); English news skips it.
        cjk = self._cjk.active and not (title.isascii() and summary.isascii())
        mentions = self._company_mentions(parts, raws if cjk else None)
        scale = 1.0
        if (
            self._off_topic < 1.0
            and not mentions
            and all(self._topic.isdisjoint(stems) for _, (_, _, stems) in parts)
            and not (cjk and any(self._cjk.on_topic(r) for r in raws))
        ):
            scale = self._off_topic
        best: dict[int, dict[str, Evidence]] = {}
        cue_hits: list = []  # per part: {theme: direction cue hits}, used if it is carried
        for where, (cased, _, stems) in parts:
            cue_hits.append(self._theme_hits(where, cased, stems, best, scale))
        if cjk:
            for (where, _), raw in zip(parts, raws, strict=True):
                self._cjk_theme_hits(where, raw, best, scale)
        scores = dict(self._zeros)
        evidence = {}
        carried: tuple[str, ...] = ()
        carried_k = []
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
                    carried_k.append(k)
        if self._learned is not None and scale == 1.0:  # off-topic news gets no second opinion
            carried_k = self._second_opinion(parts, raws, scores, evidence, carried_k)
            carried = tuple(self._ids[k] for k in carried_k)
        companies = self._resolve(mentions, parts, raws, scores) if mentions else ()
        directions = self._neutral
        direction_evidence: dict[str, tuple[Cue, ...]] = {}
        if carried_k:
            with_cues = self._has_cues.intersection(carried_k)
            if with_cues:
                directions, direction_evidence = self._directions(
                    parts, raws, cue_hits, with_cues, cjk
                )
        return Tags(companies, scores, evidence, carried, directions, direction_evidence)

    def _second_opinion(self, parts, raws, scores, evidence, carried_k: list[int]) -> list[int]:
        """Themes the rules do not carry (no evidence, or too little to reach the theme's
        threshold) but the learned model is sure of are carried, scored at the higher of the
        rules' score and its probability; its evidence follows the rules' (tagging.learned).
        Chosen on the tuning set's later batches, each measured before the rules were tuned
        on it: letting the model lift weak rule evidence won about 0.04 macro-F1 there."""
        model, known = self._learned
        open_ = [(k, tid, floor) for k, tid, floor in known if k not in carried_k]
        found = model.opinions(parts, raws, open_) if open_ else []
        for k, tid, p, words, nearest in found:
            scores[tid] = max(scores[tid], p)
            like = tuple(Evidence(f'like "{title}"', "learned", p) for title in nearest)
            evidence[tid] = (*evidence.get(tid, ()), Evidence(words, "learned", p), *like)
            carried_k = sorted([*carried_k, k])
        if found:  # evidence stays in theme order
            items = sorted(evidence.items(), key=lambda item: self._ids.index(item[0]))
            evidence.clear()
            evidence.update(items)
        return carried_k

    def _directions(self, parts, raws, cue_hits, carried: frozenset[int], cjk: bool):
        found: dict[int, dict[str, Cue]] = {}
        d = self._direction
        for (where, (cased, _, stems)), hits in zip(parts, cue_hits, strict=True):
            if hits:
                hits = {k: h for k, h in hits.items() if k in carried}
                if hits:
                    factor, floor = (
                        (1.0, 0.0) if where == "title" else (self._factor, self._summary_min)
                    )
                    d.cues(where, cased, stems, hits, factor, floor, found)
        if cjk:
            for (where, _), raw in zip(parts, raws, strict=True):
                factor = 1.0 if where == "title" else self._factor
                for k, hits in self._cjk.cue_hits(raw, carried).items():
                    seen = found.setdefault(k, {})
                    for form, w, note in hits:
                        old = seen.get(form)
                        if old is None or abs(old.weight) < abs(w * factor):
                            seen[form] = Cue(form, where, round(w * factor, 6), note)
        directions = dict(self._neutral)
        evidence = {}
        frame = d.frame(parts[0][1][1], raws[0])
        for k in sorted(found):
            cues = tuple(found[k].values())
            if cues and frame:
                note = f"framed by {frame!r}"
                cues = tuple(replace(c, weight=0.0, note=c.note or note) for c in cues)
            if cues:
                tid = self._ids[k]
                evidence[tid] = cues
                directions[tid] = sign(sum(c.weight for c in cues), d.threshold)
        return directions, evidence

    def _theme_hits(
        self,
        where: str,
        cased: tuple[str, ...],
        stems: tuple[str, ...],
        best: dict[int, dict[str, Evidence]],
        scale: float,
    ) -> dict[int, list] | None:
        """Theme evidence into `best`; returns the direction cue hits, by theme."""
        present = self._term_keys.intersection(stems)
        if not present:
            return None
        blocked = blocked_spans(self._excludes, self._exclude_keys, stems)
        offset = self._offset
        if blocked:  # an excluded phrase is no cue for its theme either
            blocked.update({k + offset: spans for k, spans in blocked.items()})
        by_theme, overlapping = scan(self._terms, present, cased, stems, blocked)
        factor, floor = (
            (scale, 0.0) if where == "title" else (scale * self._factor, self._summary_min)
        )
        cues = None
        for k, found in by_theme.items():
            if k >= offset:
                if cues is None:
                    cues = {}
                cues[k - offset] = found
                continue
            if k in overlapping:
                found = outermost(found)
            for i, end, text, weight in found:
                if weight < floor:
                    continue
                w = weight * factor
                seen = best.setdefault(k, {})
                old = seen.get(text)
                if old is None or old.weight < w:
                    # Shown as the headline wrote it; counted once per taxonomy term.
                    seen[text] = Evidence(" ".join(cased[i:end]), where, w)
        return cues

    def _cjk_theme_hits(self, where, raw: str, best, scale: float) -> None:
        if raw.isascii():
            return
        factor, floor = (
            (scale, 0.0) if where == "title" else (scale * self._factor, self._summary_min)
        )
        for k, hits in self._cjk.theme_hits(raw).items():
            for _i, _end, form, weight, term in hits:
                if weight < floor:
                    continue
                w = weight * factor
                seen = best.setdefault(k, {})
                old = seen.get(term)
                if old is None or old.weight < w:
                    seen[term] = Evidence(form, where, w)

    def _company_mentions(self, parts, raws) -> list[tuple[int, str, bool]]:
        """Every alias found, vetoes applied; context rules wait for the theme scores.
        `raws` (the parts' text) is given when some part holds CJK script."""
        comp = self._companies
        hits: list[tuple[int, str, bool]] = []  # (company index, alias, needs context)
        for p, (_, (cased, folded, _)) in enumerate(parts):
            found: list[tuple[int, int, str, bool]] = []  # (token index, ci, alias, ctx)
            present = self._company_keys.intersection(folded)
            if present:
                self._latin_mentions(comp, present, cased, folded, found)
            if raws is not None and not raws[p].isascii():
                more = self._cjk.company_hits(raws[p])
                if more:
                    # Order by place in the text: token index -> character offset.
                    starts = [m.start() for m in TOKEN_RE.finditer(raws[p])]
                    found = sorted([(starts[i], *rest) for i, *rest in found] + more)
            hits += [(ci, alias, ctx) for _, ci, alias, ctx in found]
        return hits

    def _latin_mentions(self, comp, present, cased, folded, found) -> None:
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
                found.append((i, ci, alias, ctx))
                free = end
                break

    def _resolve(self, hits, parts, raws, scores: dict[str, float]) -> tuple[CompanyMatch, ...]:
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
                if not ok and self._cjk_context[ci]:
                    ok = any(w in raw for raw in raws for w in self._cjk_context[ci])
                if not ok:
                    continue
            out[ci] = CompanyMatch(self.taxonomy.companies[ci].name, alias)
        return tuple(out.values())


DIRECTION_WORDS = {1: "escalating", -1: "easing", 0: "neutral"}


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
        if theme.id in tags.themes and (theme.escalating or theme.easing):
            word = DIRECTION_WORDS[tags.directions.get(theme.id, 0)]
            cues = ", ".join(
                f"{c.term} ({c.where} {c.weight:+.2f}{', ' + c.note if c.note else ''})"
                for c in tags.direction_evidence.get(theme.id, ())
            )
            line += f"  {word}" + (f" [{cues}]" if cues else "")
        lines.append(f"{line}  {ev}" if ev else line)
    return "\n".join(lines)
