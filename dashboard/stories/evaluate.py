"""Score the story matcher on labelled headlines (`chipwatch evaluate-stories FILE`).

The file is a CSV with columns story, outlet, published, title (and optionally summary, the
feed's description): one row a headline, the story column naming the event by hand. The
headlines go through the real path: tagged (title and summary, as an ingest tags them),
written to a scratch SQLite store one outlet at a time (as an ingest of one feed per outlet
would) and given stories there. Scores:

* pairwise: over every pair of headlines, a pair the matcher puts together is right when
  the labels put it together too (precision), and a labelled pair is found when the
  matcher puts it together (recall);
* B-cubed: per headline, the share of its found story that is labelled with it (precision)
  and of its labelled story that was found with it (recall), averaged.
"""

from __future__ import annotations

import csv
import hashlib
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from dashboard.errors import ChipwatchError
from dashboard.models import Headline

COLUMNS = ("story", "outlet", "published", "title")


@dataclass
class StoryReport:
    headlines: int
    stories: int
    found: int
    precision: float
    recall: float
    f1: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    merged: list[tuple[str, str]] = field(default_factory=list)  # wrong pairs, titles
    missed: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict:
        keys = ("headlines", "stories", "found", "precision", "recall", "f1")
        out = {k: getattr(self, k) for k in keys}
        out |= {
            "bcubed": {
                "precision": self.bcubed_precision,
                "recall": self.bcubed_recall,
                "f1": self.bcubed_f1,
            }
        }
        return out

    def to_text(self, examples: int = 15) -> str:
        out = [
            f"{self.headlines} headlines, {self.stories} labelled stories, {self.found} found",
            f"pairwise  precision {self.precision:.3f}  recall {self.recall:.3f}  F1 {self.f1:.3f}",
            f"B-cubed   precision {self.bcubed_precision:.3f}  recall {self.bcubed_recall:.3f}  "
            f"F1 {self.bcubed_f1:.3f}",
        ]
        for name, pairs in (("wrongly together", self.merged), ("missed", self.missed)):
            if pairs:
                out.append(f"{name} ({len(pairs)} pairs), first {min(examples, len(pairs))}:")
                out += [f"  {a!r}  ~  {b!r}" for a, b in pairs[:examples]]
        return "\n".join(out)


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def read(path: str | Path) -> list[dict[str, str]]:
    p = Path(path)
    try:
        with p.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise ChipwatchError(f"{p}: missing column(s) {', '.join(missing)}")
            rows = list(reader)
    except OSError as exc:
        raise ChipwatchError(f"{p}: {exc.strerror or exc}") from exc
    for i, row in enumerate(rows, start=2):
        if not row["story"] or not row["outlet"] or not row["published"]:
            raise ChipwatchError(f"{p}, line {i}: story, outlet and published are required")
    return rows


def assign(rows: list[dict[str, str]], tagger) -> list[int]:
    """Story ids the store gives the labelled rows, in the rows' order."""
    from dashboard.ingest.normalize import parse_text_date
    from dashboard.store import Store
    from dashboard.store import stories as stored_stories

    heads = []
    for row in rows:
        key = f"{row['outlet']}\x00{row['title']}\x00{row['published']}"
        epoch = parse_text_date(row["published"])
        if epoch is None:
            raise ChipwatchError(f"unreadable date {row['published']!r}")
        published = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
        heads.append(
            Headline(
                id=hashlib.sha256(key.encode()).hexdigest()[:32],
                source=row["outlet"],
                title=row["title"],
                summary=row.get("summary") or "",
                url=None,
                published_at=published,
            )
        )
    by_outlet: dict[str, list[Headline]] = defaultdict(list)
    for h in heads:
        by_outlet[h.source].append(h)
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "stories.db") as store:
        for outlet in sorted(by_outlet):  # one feed an outlet, as an ingest would store them
            store.add_headlines(
                None,
                [(h, tagger.tag(h.title, h.summary)) for h in by_outlet[outlet]],
                tag_version="evaluate",
                fetched_at="2026-01-01T00:00:00Z",
            )
        given = stored_stories.story_ids(store.conn)
    return [given[h.id] for h in heads]


def score(rows: list[dict[str, str]], found: list[int]) -> StoryReport:
    n = len(rows)
    truth = [r["story"] for r in rows]
    tp = fp = fn = 0
    merged: list[tuple[str, str]] = []
    missed: list[tuple[str, str]] = []
    for i in range(n):
        for j in range(i + 1, n):
            same_truth, same_found = truth[i] == truth[j], found[i] == found[j]
            if same_truth and same_found:
                tp += 1
            elif same_found:
                fp += 1
                merged.append((rows[i]["title"], rows[j]["title"]))
            elif same_truth:
                fn += 1
                missed.append((rows[i]["title"], rows[j]["title"]))
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    members_t: dict[str, set[int]] = defaultdict(set)
    members_f: dict[int, set[int]] = defaultdict(set)
    for i in range(n):
        members_t[truth[i]].add(i)
        members_f[found[i]].add(i)
    bp = sum(
        len(members_t[truth[i]] & members_f[found[i]]) / len(members_f[found[i]]) for i in range(n)
    ) / max(n, 1)
    br = sum(
        len(members_t[truth[i]] & members_f[found[i]]) / len(members_t[truth[i]]) for i in range(n)
    ) / max(n, 1)
    return StoryReport(
        n, len(members_t), len(members_f), p, r, _f1(p, r), bp, br, _f1(bp, br), merged, missed
    )


def evaluate(path: str | Path, tagger) -> StoryReport:
    rows = read(path)
    return score(rows, assign(rows, tagger))
