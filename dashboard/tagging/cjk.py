"""Terms, cues and aliases written in Chinese, Japanese or Korean script.

Those scripts put no spaces between words, so word boundaries mean nothing there: a CJK term
matches wherever it stands in the raw text ("实体清单" inside "美国将140家企业列入实体清单").
Latin-script terms keep whole-word matching (tagging.matching). Only headlines holding
non-ASCII text reach this module, so English news pays nothing for it.
"""

from __future__ import annotations

from dashboard.tagging.taxonomy import Taxonomy, cjk_forms, is_cjk

WINDOW = 6  # characters before (or after) a CJK cue where a negator or hedge counts


def _nested(hits: list[tuple[int, int, str, float]]) -> list[tuple[int, int, str, float]]:
    """Drop a hit lying inside a longer hit ("实体清单" inside "不可靠实体清单")."""
    order = sorted(hits, key=lambda h: h[0] - h[1])
    kept: list[tuple[int, int, str, float]] = []
    for hit in order:
        if not any(a <= hit[0] and hit[1] <= b for a, b, _, _ in kept):
            kept.append(hit)
    return sorted(kept)


class CjkMatcher:
    def __init__(self, taxonomy: Taxonomy):
        self.terms: list[tuple[str, int, str, float]] = []  # (form, theme, term, weight)
        self.cues: list[tuple[str, int, str, float]] = []  # weight signed like direction's
        for k, theme in enumerate(taxonomy.themes):
            for out, terms, sign in (
                (self.terms, theme.terms, 1.0),
                (self.cues, theme.escalating, 1.0),
                (self.cues, theme.easing, -1.0),
            ):
                for t in terms:
                    if is_cjk(t.text):
                        out.extend((f, k, t.text, sign * t.weight) for f in cjk_forms(t.text))
        # (form, company index, alias, needs context?, not_before, not_after)
        self.aliases: list[tuple[str, int, str, bool, tuple[str, ...], tuple[str, ...]]] = []
        for ci, co in enumerate(taxonomy.companies):
            vetoes_before = tuple(w for w in co.not_before if is_cjk(w))
            vetoes_after = tuple(w for w in co.not_after if is_cjk(w))
            for alias in (*co.aliases, *co.tickers):
                if is_cjk(alias):
                    self.aliases.append(
                        (alias, ci, alias, alias in co.needs_context, vetoes_before, vetoes_after)
                    )
        self.aliases.sort(key=lambda a: -len(a[0]))  # the longest alias claims its place
        rules = taxonomy.direction
        self.negators = tuple(f for w in rules.negators if is_cjk(w) for f in cjk_forms(w))
        self.hedges = tuple(f for w in rules.hedges if is_cjk(w) for f in cjk_forms(w))
        self.hedge_factor = rules.hedge_factor
        self.topic = tuple(w for w in taxonomy.topic_words if is_cjk(w))
        self.active = bool(self.terms or self.cues or self.aliases)

    def on_topic(self, text: str) -> bool:
        return any(w in text for w in self.topic)

    def theme_hits(self, text: str) -> dict[int, list[tuple[int, int, str, float]]]:
        found: dict[int, list] = {}
        for form, k, term, weight in self.terms:
            i = text.find(form)
            if i >= 0:
                found.setdefault(k, []).append((i, i + len(form), form, weight, term))
        out = {}
        for k, hits in found.items():
            keep = _nested([(i, e, f, w) for i, e, f, w, _ in hits])
            terms = {(i, e): t for i, e, _, _, t in hits}
            out[k] = [(i, e, f, w, terms[(i, e)]) for i, e, f, w in keep]
        return out  # type: ignore[return-value]

    def cue_hits(
        self, text: str, carried: frozenset[int]
    ) -> dict[int, list[tuple[str, float, str]]]:
        """{theme: [(form, signed weight after modifiers, note)]} for the carried themes."""
        found: dict[int, list] = {}
        for form, k, _term, weight in self.cues:
            if k not in carried:
                continue
            i = text.find(form)
            if i >= 0:
                found.setdefault(k, []).append((i, i + len(form), form, weight))
        out: dict[int, list[tuple[str, float, str]]] = {}
        for k, hits in found.items():
            for i, end, form, weight in _nested(hits):
                around = text[max(0, i - WINDOW) : i] + "\0" + text[end : end + WINDOW]
                neg = next((n for n in self.negators if n in around), "")
                hedge = next((h for h in self.hedges if h in around), "")
                if neg:
                    out.setdefault(k, []).append((form, 0.0, f"cancelled by {neg!r}"))
                elif hedge:
                    w = weight * self.hedge_factor
                    out.setdefault(k, []).append((form, w, f"hedged by {hedge!r}"))
                else:
                    out.setdefault(k, []).append((form, weight, ""))
        return out

    def company_hits(self, text: str) -> list[tuple[int, int, str, bool]]:
        """(character position, company index, alias, needs context?) in order of position."""
        hits = []
        taken: list[tuple[int, int]] = []
        for form, ci, alias, ctx, not_before, not_after in self.aliases:
            start = 0
            while (i := text.find(form, start)) >= 0:
                end = i + len(form)
                start = end
                if any(a < end and i < b for a, b in taken):
                    continue
                if any(text.startswith(v, end) for v in not_before) or any(
                    text.endswith(v, 0, i) for v in not_after
                ):
                    continue
                taken.append((i, end))
                hits.append((i, ci, alias, ctx))
                break
        return sorted(hits)
