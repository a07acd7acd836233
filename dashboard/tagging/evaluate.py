"""Measure the tagger against a hand-labelled CSV of headlines.

A labelled file has the columns `tag --csv` writes (tagging.batch): `title`, optional
`summary`, `companies` (canonical names joined by ";"), one 0/1 column per theme id and,
optionally, one `<theme>_direction` column per theme (1 escalating, -1 easing, 0 neutral).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dashboard.tagging.batch import LabelsError, read_table, tag_csv
from dashboard.tagging.tagger import Tagger

__all__ = ["DirectionScore", "EvalReport", "LabelsError", "Metric", "Miss", "evaluate", "tag_csv"]


def _read(path: str | Path) -> tuple[list[str], list[dict[str, str]]]:
    columns, rows = read_table(path)
    return columns, [dict(zip(columns, r, strict=False)) for r in rows]


@dataclass
class DirectionScore:
    """Direction accuracy for one theme: over rows whose label carries the theme (a row the
    tagger does not carry counts as neutral there), and over rows both carry."""

    labelled: int = 0
    correct: int = 0
    both: int = 0
    both_correct: int = 0

    @property
    def accuracy(self) -> float:
        return self.correct / self.labelled if self.labelled else 1.0

    @property
    def accuracy_when_carried(self) -> float:
        return self.both_correct / self.both if self.both else 1.0

    def add(self, expected: int, got: int, carried: bool) -> None:
        self.labelled += 1
        self.correct += expected == got
        if carried:
            self.both += 1
            self.both_correct += expected == got

    def to_dict(self) -> dict:
        return {
            "accuracy": round(self.accuracy, 4),
            "rows": self.labelled,
            "correct": self.correct,
            "accuracy_when_carried": round(self.accuracy_when_carried, 4),
            "rows_carried": self.both,
            "correct_carried": self.both_correct,
        }


@dataclass
class Metric:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def support(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, expected: bool, got: bool) -> None:
        self.tp += expected and got
        self.fp += got and not expected
        self.fn += expected and not got

    def to_dict(self) -> dict:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "support": self.support,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


@dataclass
class Miss:
    row: int  # 1-based data row (the header is row 0)
    title: str
    expected_themes: tuple[str, ...]
    got_themes: tuple[str, ...]
    expected_companies: tuple[str, ...]
    got_companies: tuple[str, ...]
    expected_directions: tuple[tuple[str, int], ...] = ()  # (theme, direction) that differ
    got_directions: tuple[tuple[str, int], ...] = ()

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.__dict__.items()}


@dataclass
class EvalReport:
    path: str
    rows: int
    taxonomy_version: str
    themes: dict[str, Metric]
    companies: dict[str, Metric]
    company_micro: Metric
    misses: list[Miss] = field(default_factory=list)
    unlabelled_themes: tuple[str, ...] = ()  # taxonomy themes the file has no column for
    directions: dict[str, DirectionScore] = field(default_factory=dict)  # themes with labels

    @property
    def direction_accuracy(self) -> float:
        """Over every (row, theme) whose label carries the theme."""
        n = sum(d.labelled for d in self.directions.values())
        return sum(d.correct for d in self.directions.values()) / n if n else 1.0

    @property
    def macro_theme_f1(self) -> float:
        if not self.themes:
            return 0.0
        return sum(m.f1 for m in self.themes.values()) / len(self.themes)

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "rows": self.rows,
            "taxonomy_version": self.taxonomy_version,
            "macro_theme_f1": round(self.macro_theme_f1, 4),
            "themes": {k: m.to_dict() for k, m in self.themes.items()},
            "company_micro": self.company_micro.to_dict(),
            "companies": {k: m.to_dict() for k, m in self.companies.items()},
            "unlabelled_themes": list(self.unlabelled_themes),
            "direction_accuracy": round(self.direction_accuracy, 4) if self.directions else None,
            "directions": {k: d.to_dict() for k, d in self.directions.items()},
            "misses": [m.to_dict() for m in self.misses],
        }

    def to_text(self, max_misses: int = 50) -> str:
        head = f"{'':<22}{'precision':>10}{'recall':>8}{'F1':>7}{'support':>9}"

        def line(name: str, m: Metric) -> str:
            return f"{name:<22}{m.precision:>10.3f}{m.recall:>8.3f}{m.f1:>7.3f}{m.support:>9}"

        out = [
            f"Evaluation of {self.path}: {self.rows} rows, taxonomy {self.taxonomy_version}",
            "",
            "themes" + head[6:],
        ]
        out += [line(k, m) for k, m in self.themes.items()]
        out.append(f"{'macro F1':<22}{'':>18}{self.macro_theme_f1:>7.3f}")
        if self.unlabelled_themes:
            out.append(f"(no labels for: {', '.join(self.unlabelled_themes)})")
        if self.directions:
            out += [
                "",
                f"{'direction':<22}{'accuracy':>10}{'rows':>6}{'when carried':>14}{'rows':>6}",
            ]
            for k, d in self.directions.items():
                out.append(
                    f"{k:<22}{d.accuracy:>10.3f}{d.labelled:>6}"
                    f"{d.accuracy_when_carried:>14.3f}{d.both:>6}"
                )
            out.append(f"{'all themes':<22}{self.direction_accuracy:>10.3f}")
        out += ["", "companies" + head[9:]]
        # Companies neither labelled nor found in this file would only be noise here.
        out += [line(k, m) for k, m in self.companies.items() if m.support or m.fp]
        out.append(line("micro (all companies)", self.company_micro))
        out += ["", f"rows with a wrong tag: {len(self.misses)}"]
        for miss in self.misses[:max_misses]:
            out.append(f"  row {miss.row}: {miss.title}")
            if miss.expected_themes != miss.got_themes:
                exp = ", ".join(miss.expected_themes) or "-"
                got = ", ".join(miss.got_themes) or "-"
                out.append(f"      themes    expected {exp} | got {got}")
            if set(miss.expected_companies) != set(miss.got_companies):
                exp = ", ".join(miss.expected_companies) or "-"
                got = ", ".join(miss.got_companies) or "-"
                out.append(f"      companies expected {exp} | got {got}")
            if miss.expected_directions:
                exp = ", ".join(f"{t} {d:+d}" for t, d in miss.expected_directions)
                got = ", ".join(f"{t} {d:+d}" for t, d in miss.got_directions)
                out.append(f"      direction expected {exp} | got {got}")
        if len(self.misses) > max_misses:
            out.append(f"  ... and {len(self.misses) - max_misses} more")
        return "\n".join(out)


def _flag(p: Path, row: int, column: str, value: str | None) -> bool:
    v = (value or "").strip()
    if v in ("", "0"):
        return False
    if v == "1":
        return True
    raise LabelsError(f"{p}: row {row}: column {column!r} must be 0 or 1, got {value!r}")


def _direction(p: Path, row: int, column: str, value: str | None) -> int:
    v = (value or "").strip()
    if v in ("", "0"):
        return 0
    if v in ("1", "+1"):
        return 1
    if v == "-1":
        return -1
    raise LabelsError(f"{p}: row {row}: column {column!r} must be -1, 0 or 1, got {value!r}")


def evaluate(labels_path: str | Path, tagger: Tagger) -> EvalReport:
    """Tag every labelled row and compare with the labels."""
    p = Path(labels_path)
    columns, rows = _read(p)
    taxonomy = tagger.taxonomy
    labelled = tuple(t for t in taxonomy.theme_ids if t in columns)
    unlabelled = tuple(t for t in taxonomy.theme_ids if t not in columns)
    if "companies" not in columns and not labelled:
        raise LabelsError(f"{p}: no label columns (need 'companies' and/or a theme column)")
    themes = {t: Metric() for t in labelled}
    directed = tuple(t for t in labelled if f"{t}_direction" in columns)
    directions = {t: DirectionScore() for t in directed}
    companies = {name: Metric() for name in taxonomy.company_names}
    micro = Metric()
    misses = []
    for n, row in enumerate(rows, start=1):
        tags = tagger.tag(row.get("title") or "", row.get("summary") or "")
        exp_t = tuple(t for t in labelled if _flag(p, n, t, row.get(t)))
        got_t = tuple(t for t in labelled if t in tags.themes)
        for t in labelled:
            themes[t].add(t in exp_t, t in got_t)
        got_c = tuple(m.name for m in tags.companies)
        exp_c: tuple[str, ...] = got_c
        if "companies" in columns:
            raw = (row.get("companies") or "").split(";")
            exp_c = tuple(dict.fromkeys(c.strip() for c in raw if c.strip()))
            for name in dict.fromkeys(exp_c + got_c):
                hit_e, hit_g = name in exp_c, name in got_c
                companies.setdefault(name, Metric()).add(hit_e, hit_g)
                micro.add(hit_e, hit_g)
        exp_d, got_d = [], []
        for t in directed:
            want = _direction(p, n, f"{t}_direction", row.get(f"{t}_direction"))
            if t not in exp_t:
                continue  # direction is only defined for a theme the headline carries
            got = tags.directions.get(t, 0) if t in got_t else 0
            directions[t].add(want, got, t in got_t)
            if want != got:
                exp_d.append((t, want))
                got_d.append((t, got))
        if exp_t != got_t or set(exp_c) != set(got_c) or exp_d:
            misses.append(
                Miss(
                    n,
                    row.get("title") or "",
                    exp_t,
                    got_t,
                    exp_c,
                    got_c,
                    tuple(exp_d),
                    tuple(got_d),
                )
            )
    return EvalReport(
        path=str(p),
        rows=len(rows),
        taxonomy_version=taxonomy.version,
        themes=themes,
        companies=companies,
        company_micro=micro,
        misses=misses,
        unlabelled_themes=unlabelled,
        directions=directions,
    )
