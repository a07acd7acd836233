"""Load and validate the analyst's taxonomy file (themes, weighted terms, the company watchlist).

The file is data, not code: any number of themes may be declared and every part of Chipwatch
follows it. Validation is strict so that a typo in a hand-edited file fails loudly, with a
message naming the file, the key and the problem, instead of silently tagging nothing.
"""

from __future__ import annotations

import hashlib
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dashboard import config
from dashboard.errors import TaxonomyError

DEFAULT_THRESHOLD = 0.5
# The learned second opinion (tagging.learned), used when the taxonomy has a [learned] table.
LEARNED_MODEL = Path(__file__).with_name("learned_model.json")
DEFAULT_SUMMARY_FACTOR = 0.6

# One tokenizer for terms, aliases and text alike, so a phrase written "export-control" in the
# file matches "export control" and "export controls" in a headline. Dotted acronyms (U.S.)
# are kept whole so they can lose their dots instead of splitting into "u" and "s".
# Chinese, Japanese and Korean characters are not word characters here: those scripts do not
# put spaces between words, so their terms are matched as substrings of the raw text (see
# is_cjk), and a Latin name glued to them ("英伟达H20芯片") still comes out as a token.
CJK_CHARS = (
    "\u1100-\u11ff\u2e80-\u2fdf\u3040-\u30ff\u3100-\u318f\u31a0-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff"
)
TOKEN_RE = re.compile(rf"(?:[A-Za-z]\.){{2,}}|[^\W{CJK_CHARS}]+(?:['’][^\W{CJK_CHARS}]+)*")
# TOKEN_RE for ASCII text (most news): the same tokens, with cheaper character classes
_ASCII_TOKEN_RE = re.compile(r"(?:[A-Za-z]\.){2,}|\w+(?:'\w+)*", re.ASCII)
CJK_RE = re.compile(f"[{CJK_CHARS}]")
GAP = "..."  # inside a term: up to a few other words may stand here
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Term:
    text: str  # a word or a phrase, as the analyst wrote it
    weight: float  # in (0, 1]


@dataclass(frozen=True)
class Theme:
    id: str
    label: str
    description: str
    threshold: float
    terms: tuple[Term, ...]
    exclude: tuple[str, ...]  # phrases whose words never count as evidence for this theme
    case_sensitive: tuple[str, ...] = ()  # terms matched only with this capitalisation
    escalating: tuple[Term, ...] = ()  # direction cues: the theme's pressure is rising
    easing: tuple[Term, ...] = ()  # direction cues: it is falling


@dataclass(frozen=True)
class DirectionRules:
    """How cues combine into a direction, shared by every theme (the [direction] table)."""

    threshold: float = 0.25  # |escalating - easing| needed for a non-neutral direction
    negators: tuple[str, ...] = ()  # words/phrases that cancel a cue standing just after them
    hedges: tuple[str, ...] = ()  # words that soften a cue standing just after them
    hedge_factor: float = 0.7
    scope: int = 4  # how many words before a cue a negator or hedge reaches
    # A title opening with one of these words ("Analysis:", "Explainer", "Why ...") or asking
    # a question describes a move without making one: its directions are all neutral.
    frames: tuple[str, ...] = ()


@dataclass(frozen=True)
class Company:
    name: str
    aliases: tuple[str, ...]  # the name itself comes first
    tickers: tuple[str, ...]  # always matched exactly as written
    case_sensitive: tuple[str, ...]  # aliases matched only with this exact capitalisation
    needs_context: tuple[str, ...] = ()  # aliases that count only with context (see tagging)
    context: tuple[str, ...] = ()  # words that supply that context
    context_themes: tuple[str, ...] = ()  # themes whose evidence supplies it; () = all themes
    not_before: tuple[str, ...] = ()  # words that veto an alias when they follow it
    not_after: tuple[
        str, ...
    ] = ()  # words that veto an alias when they precede it ("#" = a number)


@dataclass(frozen=True)
class Taxonomy:
    themes: tuple[Theme, ...]
    companies: tuple[Company, ...]
    version: str  # short sha256 of the file bytes: stored with tags so stale tags can be spotted
    summary_factor: float = DEFAULT_SUMMARY_FACTOR
    off_topic_factor: float = 1.0  # evidence scale for headlines with no topic word (see TOML)
    summary_min_weight: float = 0.0  # lighter terms count in the title only
    topic_words: tuple[str, ...] = ()
    path: str = ""
    direction: DirectionRules = DirectionRules()
    # [learned] threshold: the model's probability that adds a theme the rules do not carry; None = off
    learned_threshold: float | None = None
    # [learned.themes]: (theme id, threshold) where a theme needs another probability
    learned_thresholds: tuple[tuple[str, float], ...] = ()

    @property
    def theme_ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.themes)

    @property
    def company_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.companies)


def is_cjk(text: str) -> bool:
    """True for a term holding Chinese, Japanese or Korean script: matched as a substring."""
    return CJK_RE.search(text) is not None


def cjk_forms(text: str) -> tuple[str, ...]:
    """A CJK term's spellings: "|" separates whole alternatives ("出口管制|出口限制")."""
    return tuple(dict.fromkeys(a.strip() for a in text.split("|") if a.strip()))


def tokens(text: str) -> list[str]:
    """Surface tokens of a text, in order (punctuation and hyphens dropped)."""
    return (_ASCII_TOKEN_RE if text.isascii() else TOKEN_RE).findall(text)


def fold(token: str) -> str:
    """Lower-case, without a possessive, acronym dots or plural, or a version number.

    "U.S." -> "us", "Nvidia's" -> "nvidia", "TPUs" -> "tpu", "Trainium2" -> "trainium".
    """
    return unversion(uncase_plural(token).lower())


def uncase_plural(token: str) -> str:
    """Drop a possessive, acronym dots and the plural "s" of an all-caps acronym."""
    if token.endswith(("'s", "’s")):
        token = token[:-2]
    if "." in token:
        token = token.replace(".", "")
    if len(token) >= 3 and token[-1] == "s" and token[:-1].isupper():
        token = token[:-1]
    return token


def unversion(token: str) -> str:
    # A version glued to a name names the same thing: "Qwen3", "Trainium2", "HBM3E" -> "HBM".
    # Short stems ("H20", "GB200", "MI300X") are product names in their own right and stay.
    m = _VERSIONED.match(token)
    return m.group(1) if m else token


_VERSIONED = re.compile(r"^([A-Za-z]{3,})\d+[A-Za-z]?$")


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


def term_parts(text: str) -> list[list[list[str]]]:
    """A term's parts (split at "...") -> word slots -> alternatives ("a|b")."""
    parts = []
    for part in text.split(GAP):
        part = re.sub(r"\s*\|\s*", "|", part.strip())
        parts.append([chunk.split("|") for chunk in part.split()])
    return parts


_THEME_FIELDS = {
    "label",
    "description",
    "threshold",
    "terms",
    "exclude",
    "case_sensitive",
    "direction",
}
_DIRECTION_THEME_FIELDS = {"escalating", "easing"}
_DIRECTION_FIELDS = {"threshold", "negators", "hedges", "hedge_factor", "scope", "frames"}
_COMPANY_FIELDS = {
    "aliases",
    "tickers",
    "case_sensitive",
    "needs_context",
    "context",
    "context_themes",
    "not_before",
    "not_after",
}
_TOP_FIELDS = {"scoring", "direction", "learned", "themes", "companies"}
_SCORING_FIELDS = {
    "summary_factor",
    "default_threshold",
    "off_topic_factor",
    "topic_words",
    "summary_min_weight",
}


class _Checker:
    """Builds error messages that name the file and the dotted key."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, key: str, problem: str) -> TaxonomyError:
        where = f"{self.path}: {key}: " if key else f"{self.path}: "
        return TaxonomyError(where + problem)

    def table(self, value: Any, key: str, allowed: set[str]) -> dict:
        if not isinstance(value, dict):
            raise self.fail(key, f"expected a table, got {type(value).__name__}")
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise self.fail(
                f"{key}.{unknown[0]}" if key else unknown[0],
                f"unknown field (allowed: {', '.join(sorted(allowed))})",
            )
        return value

    def number(self, value: Any, key: str, low: float, high: float, low_open=True) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, f"expected a number, got {value!r}")
        v = float(value)
        too_low = v <= low if low_open else v < low
        if math.isnan(v) or too_low or v > high:
            bracket = "(" if low_open else "["
            raise self.fail(key, f"{v:g} out of range {bracket}{low:g}, {high:g}]")
        return v

    def text(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"expected a non-empty string, got {value!r}")
        return value.strip()

    def strings(self, value: Any, key: str) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(key, f"expected a list of strings, got {type(value).__name__}")
        out = []
        for i, item in enumerate(value):
            s = self.text(item, f"{key}[{i}]")
            if not tokens(s) and s != "#" and not is_cjk(s):
                raise self.fail(f"{key}[{i}]", f"empty term {item!r} (no letters or digits)")
            out.append(s)
        return tuple(out)


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Read and validate a taxonomy file; None means the configured one."""
    p = Path(path) if path is not None else config.taxonomy_path()
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise TaxonomyError(f"{p}: cannot read taxonomy file ({exc.strerror or exc})") from exc
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise TaxonomyError(f"{p}: bad TOML: {exc}") from exc
    digest = hashlib.sha256(raw)
    if "learned" in doc:  # the model's tags change with the model: stale tags show it
        try:
            digest.update(LEARNED_MODEL.read_bytes())
        except OSError as exc:
            raise TaxonomyError(f"{p}: learned: cannot read {LEARNED_MODEL} ({exc})") from exc
    return parse_taxonomy(doc, p, digest.hexdigest()[:12])


def parse_taxonomy(doc: dict, path: Path, version: str) -> Taxonomy:
    c = _Checker(path)
    c.table(doc, "", _TOP_FIELDS)
    scoring = c.table(doc.get("scoring", {}), "scoring", _SCORING_FIELDS)
    factor = DEFAULT_SUMMARY_FACTOR
    if "summary_factor" in scoring:
        factor = c.number(scoring["summary_factor"], "scoring.summary_factor", 0, 1)
    default_threshold = DEFAULT_THRESHOLD
    if "default_threshold" in scoring:
        default_threshold = c.number(
            scoring["default_threshold"], "scoring.default_threshold", 0, 1
        )

    off_topic = 1.0
    if "off_topic_factor" in scoring:
        off_topic = c.number(scoring["off_topic_factor"], "scoring.off_topic_factor", 0, 1)
    min_weight = 0.0
    if "summary_min_weight" in scoring:
        min_weight = c.number(
            scoring["summary_min_weight"], "scoring.summary_min_weight", 0, 1, low_open=False
        )
    topic_words = c.strings(scoring.get("topic_words", []), "scoring.topic_words")
    for i, word in enumerate(topic_words):
        if len(tokens(word)) != 1 and not is_cjk(word):
            raise c.fail(f"scoring.topic_words[{i}]", f"{word!r}: one word per entry")

    direction = _direction_rules(c, doc.get("direction", {}))
    themes_doc = doc.get("themes")
    if not isinstance(themes_doc, dict) or not themes_doc:
        raise c.fail("themes", "at least one [themes.<id>] table is required")
    themes = tuple(_theme(c, tid, body, default_threshold) for tid, body in themes_doc.items())
    theme_ids = {t.id for t in themes}

    learned, by_theme = None, ()
    if "learned" in doc:
        body = c.table(doc["learned"], "learned", {"threshold", "themes"})
        learned = c.number(body.get("threshold", 0.7), "learned.threshold", 0, 1)
        per = c.table(body.get("themes", {}), "learned.themes", theme_ids)
        by_theme = tuple((t, c.number(v, f"learned.themes.{t}", 0, 1)) for t, v in per.items())

    companies_doc = doc.get("companies", {})
    if not isinstance(companies_doc, dict):
        raise c.fail("companies", "expected [companies.<name>] tables")
    companies = tuple(_company(c, name, body, theme_ids) for name, body in companies_doc.items())

    owner: dict[str, str] = {}  # folded alias or ticker -> the company that declared it
    for co in companies:
        for kind, values in (("aliases", co.aliases), ("tickers", co.tickers)):
            for value in values:
                folded = value if is_cjk(value) else " ".join(fold(t) for t in tokens(value))
                if owner.setdefault(folded, co.name) != co.name:
                    raise c.fail(
                        f"companies.{co.name}.{kind}",
                        f"duplicate alias {value!r} (already an alias of {owner[folded]})",
                    )
    return Taxonomy(
        themes,
        companies,
        version,
        summary_factor=factor,
        off_topic_factor=off_topic,
        topic_words=topic_words,
        summary_min_weight=min_weight,
        path=str(path),
        direction=direction,
        learned_threshold=learned,
        learned_thresholds=by_theme,
    )


def _direction_rules(c: _Checker, body: Any) -> DirectionRules:
    body = c.table(body, "direction", _DIRECTION_FIELDS)
    rules = DirectionRules()
    threshold, factor, scope = rules.threshold, rules.hedge_factor, rules.scope
    if "threshold" in body:
        threshold = c.number(body["threshold"], "direction.threshold", 0, 1)
    if "hedge_factor" in body:
        factor = c.number(body["hedge_factor"], "direction.hedge_factor", 0, 1)
    if "scope" in body:
        v = body["scope"]
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 8:
            raise c.fail("direction.scope", f"expected a whole number of words 1-8, got {v!r}")
        scope = v
    return DirectionRules(
        threshold=threshold,
        negators=c.strings(body.get("negators", []), "direction.negators"),
        hedges=c.strings(body.get("hedges", []), "direction.hedges"),
        hedge_factor=factor,
        scope=scope,
        frames=_frames(c, body.get("frames", [])),
    )


def _frames(c: _Checker, value: Any) -> tuple[str, ...]:
    frames = c.strings(value, "direction.frames")
    for i, word in enumerate(frames):
        if len(tokens(word)) != 1 or is_cjk(word):
            raise c.fail(f"direction.frames[{i}]", f"{word!r}: one Latin-script word per entry")
    return frames


def _terms(c: _Checker, key: str, terms_doc: Any, what: str) -> tuple[Term, ...]:
    """A table of "term" = weight, checked: non-empty words, weights in (0, 1], no repeats."""
    if not isinstance(terms_doc, dict) or not terms_doc:
        raise c.fail(key, f'expected a table of "term" = weight with at least one {what}')
    terms = []
    seen: dict[str, str] = {}
    for text, weight in terms_doc.items():
        tkey = f"{key}.{text!r}"
        w = c.number(weight, tkey, 0, 1)
        if is_cjk(text):
            if GAP in text:
                raise c.fail(tkey, "a CJK term cannot hold '...' (it is matched as a substring)")
            if not cjk_forms(text):
                raise c.fail(tkey, "empty term")
            folded = "|".join(sorted(cjk_forms(text)))
        else:
            parts = term_parts(text)
            if not all(parts) or not all(
                tokens(a) for slots in parts for alts in slots for a in alts
            ):
                raise c.fail(tkey, "empty term (no letters or digits around '...' or '|')")
            # Same words once inflections are stripped: "Widgets" repeats "widget".
            folded = " ... ".join(
                " ".join(stem(fold(t)) for t in tokens(p)) for p in text.split(GAP)
            )
        if folded in seen:
            raise c.fail(tkey, f"duplicate {what} (same words as {seen[folded]!r})")
        seen[folded] = text
        terms.append(Term(text.strip(), w))
    return tuple(terms)


def _theme(c: _Checker, tid: str, body: Any, default_threshold: float) -> Theme:
    key = f"themes.{tid}"
    if not _ID_RE.match(tid):
        raise c.fail(key, "theme id must be lower_snake_case (it becomes a column name)")
    body = c.table(body, key, _THEME_FIELDS)
    for required in ("label", "terms"):
        if required not in body:
            raise c.fail(f"{key}.{required}", "missing")
    label = c.text(body["label"], f"{key}.label")
    description = c.text(body.get("description", label), f"{key}.description")
    threshold = default_threshold
    if "threshold" in body:
        threshold = c.number(body["threshold"], f"{key}.threshold", 0, 1)
    terms_doc = body["terms"]
    terms = _terms(c, f"{key}.terms", terms_doc, "term")
    escalating: tuple[Term, ...] = ()
    easing: tuple[Term, ...] = ()
    if "direction" in body:
        dkey = f"{key}.direction"
        direction = c.table(body["direction"], dkey, _DIRECTION_THEME_FIELDS)
        if "escalating" in direction:
            escalating = _terms(c, f"{dkey}.escalating", direction["escalating"], "cue")
        if "easing" in direction:
            easing = _terms(c, f"{dkey}.easing", direction["easing"], "cue")
        # A cue in both lists would cancel itself; a phrase has one direction.
        both = {t.text.lower() for t in escalating} & {t.text.lower() for t in easing}
        if both:
            raise c.fail(dkey, f"{sorted(both)[0]!r} is both escalating and easing")
    exclude = c.strings(body.get("exclude", []), f"{key}.exclude")
    exact = c.strings(body.get("case_sensitive", []), f"{key}.case_sensitive")
    for term in exact:
        if term not in terms_doc:
            raise c.fail(f"{key}.case_sensitive", f"{term!r} is not one of the terms")
        if GAP in term or "|" in term:
            raise c.fail(f"{key}.case_sensitive", f"{term!r}: cannot hold '...' or '|'")
    return Theme(tid, label, description, threshold, terms, exclude, exact, escalating, easing)


def _company(c: _Checker, name: str, body: Any, theme_ids: set[str]) -> Company:
    key = f"companies.{name}"
    if not name.strip() or not tokens(name):
        raise c.fail(key, "empty company name")
    body = c.table(body, key, _COMPANY_FIELDS)
    fields = {f: c.strings(body.get(f, []), f"{key}.{f}") for f in _COMPANY_FIELDS}
    aliases = list(fields["aliases"])
    if name not in aliases:
        aliases.insert(0, name)
    folded_seen: dict[str, str] = {}
    for alias in aliases:
        # Case-sensitive spellings of one word ("Arm", "ARM") are deliberate variants.
        folded = alias if alias in fields["case_sensitive"] else alias.lower()
        if folded in folded_seen:
            raise c.fail(f"{key}.aliases", f"duplicate alias {alias!r}")
        folded_seen[folded] = alias
    for f in ("case_sensitive", "needs_context"):
        for alias in fields[f]:
            if alias not in aliases:
                raise c.fail(f"{key}.{f}", f"{alias!r} is not one of the aliases")
    for i, word in enumerate(fields["context"]):
        if len(tokens(word)) != 1 and not is_cjk(word):
            raise c.fail(f"{key}.context[{i}]", f"{word!r}: one word per entry")
    for tid in fields["context_themes"]:
        if tid not in theme_ids:
            raise c.fail(f"{key}.context_themes", f"unknown theme {tid!r}")
    return Company(
        name=name,
        aliases=tuple(aliases),
        tickers=fields["tickers"],
        case_sensitive=fields["case_sensitive"],
        needs_context=fields["needs_context"],
        context=fields["context"],
        context_themes=fields["context_themes"],
        not_before=fields["not_before"],
        not_after=fields["not_after"],
    )
