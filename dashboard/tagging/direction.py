"""Which way a carried theme is moving: escalating (+1), easing (-1) or neutral (0).

Each theme may list `escalating` and `easing` cue terms in the taxonomy, matched with the
same machinery as theme terms (inflections, "|", "...", excluded phrases). A cue's weight is
its say in the direction; escalating cues count positive, easing cues negative, and

    net = sum(+w for escalating cues) - sum(w for easing cues)

gives +1 when net >= threshold, -1 when net <= -threshold, else 0. A cue lying inside a
longer cue of the same theme, or sharing words with it, counts nothing ("ban" inside "lifts
ban" is not a new ban).
A negator shortly before a cue ("no plans to ban", "rules out tariffs", "denies") cancels
it; a hedge ("may ease curbs") keeps its sign at hedge_factor of its weight. A cue found
only in the summary counts summary_factor of its weight, as theme terms do. A title that
opens with a framing word ("Analysis:", "Explainer", "Why ...") or ends in a question mark
reports on a move without making one: every cue is cancelled and the direction is neutral.
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.tagging.matching import Index, compile_terms, scan
from dashboard.tagging.taxonomy import Taxonomy, fold, is_cjk


@dataclass(frozen=True, slots=True)
class Cue:
    term: str  # the words of the headline that matched a direction cue
    where: str  # "title" or "summary"
    weight: float  # signed effective weight: > 0 escalating, < 0 easing, 0 when cancelled
    note: str = ""  # why it was cancelled or softened: "cancelled by 'no'", "hedged by 'may'"


def sign(net: float, threshold: float) -> int:
    if net >= threshold:
        return 1
    if net <= -threshold:
        return -1
    return 0


def _longest(hits: list[tuple[int, int, str, float]]) -> list[tuple[int, int, str, float]]:
    """Drop a cue sharing words with a longer (or as long and stronger) cue of the theme."""
    order = sorted(hits, key=lambda h: (h[0] - h[1], -abs(h[3])))
    kept: list[tuple[int, int, str, float]] = []
    for hit in order:
        i, end = hit[0], hit[1]
        if not any(a < end and i < b for a, b, _, _ in kept):
            kept.append(hit)
    return sorted(kept)


class DirectionMatcher:
    """Direction modifiers of a taxonomy, and its cues compiled into the tagger's term index
    (one scan of a headline finds theme terms and cues alike; CJK cues: tagging.cjk)."""

    def __init__(self, taxonomy: Taxonomy, index: Index, offset: int):
        rules = taxonomy.direction
        self.threshold = rules.threshold
        self.scope = rules.scope
        self.hedge_factor = rules.hedge_factor
        self.offset = offset  # cues of theme k sit at k + offset in the shared index
        for k, theme in enumerate(taxonomy.themes):
            for sign_, cues in ((1.0, theme.escalating), (-1.0, theme.easing)):
                for cue in cues:
                    if not is_cjk(cue.text):
                        compile_terms(index, k + offset, cue.text, sign_ * cue.weight, False)
        self.mods = Index()  # k = 0: negators, k = 1: hedges
        for k, words in ((0, rules.negators), (1, rules.hedges)):
            for text in words:
                if not is_cjk(text):
                    compile_terms(self.mods, k, text, 1.0, False)
        self.mod_keys = self.mods.keys()
        self.frames = frozenset(fold(w) for w in rules.frames)

    def frame(self, folded_title: tuple[str, ...], title: str) -> str:
        """The framing word (or "?") that makes a title's directions neutral, if any."""
        if folded_title and folded_title[0] in self.frames:
            return folded_title[0]
        return "?" if self.frames and title.rstrip().endswith(("?", "？")) else ""

    def cues(
        self,
        where: str,
        cased: tuple[str, ...],
        stems: tuple[str, ...],
        by_k: dict[int, list[tuple[int, int, str, float]]],
        factor: float,
        floor: float,
        out: dict[int, dict[str, Cue]],
    ) -> None:
        """Add the cue hits (by theme) of one part of a headline to `out`, modifiers applied."""
        negators: list = []
        hedges: list = []
        mod_present = self.mod_keys.intersection(stems)
        if mod_present:
            found, _ = scan(self.mods, mod_present, cased, stems, {})
            negators, hedges = found.get(0, []), found.get(1, [])
        for k, hits in by_k.items():
            seen = out.setdefault(k, {})
            for i, end, text, weight in _longest(hits) if len(hits) > 1 else hits:
                if abs(weight) < floor:
                    continue
                w, note = weight * factor, ""
                neg = self._before(negators, i) if negators else ""
                if neg:
                    w, note = 0.0, f"cancelled by {neg!r}"
                elif hedges:
                    hedge = self._before(hedges, i)
                    if hedge:
                        w, note = w * self.hedge_factor, f"hedged by {hedge!r}"
                old = seen.get(text)
                if old is None or abs(old.weight) < abs(w):
                    seen[text] = Cue(" ".join(cased[i:end]), where, round(w, 6), note)

    def _before(self, mods: list, i: int) -> str:
        """The modifier ending at most `scope` words before position i, if any."""
        for _a, b, text, _ in mods:
            if b <= i and i - b <= self.scope:
                return text
        return ""
