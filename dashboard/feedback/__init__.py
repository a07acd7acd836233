"""Analysts' corrections: give one, retract one, and what they teach.

An act is stored (store/feedback.py) and, in the same transaction, the headlines it covers
are re-tagged with every standing correction applied (tagging/corrections.py) through the
retag path, so their tag rows, rollups, risk, signals and extracts follow from the next
rerun. retag applies the same corrections after a taxonomy edit; restory never touches them.
"""

from __future__ import annotations

from typing import NamedTuple

from dashboard.store import Store
from dashboard.tagging import corrections
from dashboard.tagging.retag import retag_plan


class Outcome(NamedTuple):
    feedback_id: int | None  # None: the same author had said just this already
    headlines: int  # headlines the act covers
    changed: int  # of those, headlines whose stored tags changed


def give(
    store: Store,
    tagger,
    kind: str,
    key: str,
    value: str,
    *,
    author: str,
    headline: str | None = None,
    story: int | None = None,
    comment: str = "",
) -> Outcome:
    """Check, record and apply one correction (FeedbackError says what is wrong)."""
    taxonomy = tagger.taxonomy
    c = corrections.check(
        kind, key, value, themes=taxonomy.theme_ids, companies=taxonomy.company_names
    )
    c = c._replace(author=author)
    with store.transaction():
        fid, ids = store.give_feedback(c, headline=headline, story=story, comment=comment)
        changed = reapply(store, tagger, ids) if fid is not None else 0
    return Outcome(fid, len(ids), changed)


def retract(store: Store, tagger, feedback_id: int, *, by: str) -> Outcome:
    """Withdraw an act: its headlines go back to their tags with the other corrections."""
    with store.transaction():
        ids = store.retract_feedback(feedback_id, by=by)
        changed = reapply(store, tagger, ids)
    return Outcome(feedback_id, len(ids), changed)


def reapply(store: Store, tagger, ids: list[str]) -> int:
    """Re-tag these headlines with their standing corrections; how many changed."""
    if not ids:
        return 0
    plan = retag_plan(store.tag_batch(ids), tagger.taxonomy.version, tagger)
    store.write_tags(plan)
    return plan.changed
