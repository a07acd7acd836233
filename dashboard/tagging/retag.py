"""Re-score stored headlines after the taxonomy changes: plan the differences (pure, in the
workers) and write them (in this process), one transaction a batch."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import NamedTuple

from dashboard.config import Settings
from dashboard.ingest.workers import WorkerPool
from dashboard.models import RetagBatch, RetagPlan
from dashboard.store import Store
from dashboard.store.queries import stale_tags
from dashboard.store.schema import add_rollup_cells
from dashboard.store.shape import TagRows, tag_rows
from dashboard.tagging.corrections import apply as corrections_apply


def retag_plan(work: RetagBatch, version: str, tagger) -> RetagPlan:
    """Tag one batch of stored headlines, apply the analysts' corrections of those that have
    some, and work out the writes that differ. The tags are a pure function of the title and
    summary, so a text the batch holds twice (an outlet's copy of a wire story, stored next to
    the original) is tagged once."""
    fixes = work.corrections
    tagged: dict[tuple[str, str], object] = {}
    shaped = []
    for r in work.rows:
        text = (r[2], r[3])
        tags = tagged.get(text)
        if tags is None:
            tags = tagged[text] = tagger.tag(*text)
        shaped.append(tag_rows(r[1], r[4], _corrected(tags, fixes.get(r[1]))))
    return plan_retag(work, shaped, version)


def _corrected(tags, corrections):
    return corrections_apply(tags, corrections) if corrections else tags


class RetagResult(NamedTuple):
    checked: int  # headlines re-scored
    changed: int  # of those, headlines whose tags differ from what was stored


def retag(
    store: Store,
    *,
    taxonomy=None,
    settings=None,
    everything: bool = False,
    progress: Callable[[int, int], None] | None = None,
    batch: int = 5000,
) -> RetagResult:
    """Re-score stored headlines with the current taxonomy: tagging runs in worker processes
    while this process writes, one transaction a batch (a kill loses at most a batch and a
    re-run resumes). Only headlines whose tags changed are rewritten."""
    from dashboard.tagging.tagger import Tagger
    from dashboard.tagging.taxonomy import load_taxonomy

    taxonomy = taxonomy or load_taxonomy()
    settings = Settings.of(settings)
    total = store.headline_count() if everything else stale_tags(store, taxonomy.version)
    done = changed = 0
    token = store.begin_retag()

    def write(ready) -> None:
        nonlocal done, changed
        for checked, plan in ready:
            store.write_retag(plan, token)
            changed += plan.changed
            done += checked
            if progress:
                progress(done, total)

    jobs = -(-total // batch)
    tagger = functools.cache(lambda: Tagger(taxonomy))  # only when a job runs here
    with WorkerPool.for_jobs(jobs, tagger, taxonomy, settings) as pipe:
        for work in store.retag_batches(taxonomy.version, batch=batch, everything=everything):
            write(pipe.ready(block=pipe.full))
            pipe.submit(len(work.rows), retag_plan, work, taxonomy.version)
        write(pipe.ready(block=True, everything=True))
    store.finish_retag(taxonomy.version)
    return RetagResult(done, changed)


def _stored_themes(row: tuple) -> set[tuple]:
    """A RetagBatch row's headline_themes rows, rebuilt from its tag columns: the store writes
    both from the same TagRows, theme_scores holds every theme scoring above zero and
    theme_directions every non-neutral direction."""
    hid, published_at, carried = row[1], row[4], row[6].split(";")
    scores, directions = json.loads(row[8]), json.loads(row[10])
    return {
        (hid, t, s, int(t in carried), published_at, directions.get(t, 0))
        for t, s in scores.items()
    }


def plan_retag(batch: RetagBatch, shaped: list[TagRows], version: str) -> RetagPlan:
    """Compare a batch's new tags (from tag_rows) with its stored ones. Pure, so it runs in
    the worker that tagged the batch: the writing process gets only the difference. A
    typical taxonomy edit changes few headlines, and a weight edit moves scores but rarely
    companies; every row written also moves its index entries, so only changed rows are."""
    deletes: dict[str, list[tuple]] = {"headline_themes": [], "headline_companies": []}
    upserts: dict[str, list[tuple]] = {"headline_themes": [], "headline_companies": []}
    heads: list[tuple] = []
    versioned: list[int] = []
    counts: dict[tuple[str, str, str], list] = {}
    changed = 0
    for row, new in zip(batch.rows, shaped, strict=True):
        rowid, hid, published_at, columns = row[0], row[1], row[4], row[5:12]
        was_companies = set(batch.companies.get(hid, ()))
        new_companies = set(new.companies)
        same_columns = new.columns == columns
        # Equal columns mean equal theme rows, which follow from them (_stored_themes).
        if same_columns and new_companies == was_companies:
            versioned.append(rowid)
            continue
        changed += 1
        was_themes, new_themes = _stored_themes(row), set(new.themes)
        for table, was, now in (
            ("headline_themes", was_themes, new_themes),
            ("headline_companies", was_companies, new_companies),
        ):
            upserts[table] += now - was
            kept = {r[1] for r in now}
            deletes[table] += [(hid, r[1]) for r in was if r[1] not in kept]
        if same_columns:
            versioned.append(rowid)
        else:
            heads.append((*new.columns, version, rowid))
        day = published_at[:10]
        add_rollup_cells(counts, day, was_companies, was_themes, -1, row[12])
        add_rollup_cells(counts, day, new.companies, new.themes, 1, row[12])
    return RetagPlan(version, changed, deletes, upserts, heads, versioned, counts)
