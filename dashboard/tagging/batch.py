"""`chipwatch tag --csv`: a CSV of headlines in, the same CSV with tag columns out.

The columns are those of a labelled file (tagging.evaluate reads them back), so an analyst
can tag a sample, correct it by hand and keep it as labels. Large files are tagged by
forked worker processes, which inherit the tagger and the rows and send back CSV text.
"""

from __future__ import annotations

import csv
import io
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from dashboard.errors import ChipwatchError
from dashboard.models import cue_text, evidence_text
from dashboard.tagging.tagger import Tagger

POOL_MIN_ROWS = 5_000  # below this, starting worker processes costs more than it saves
CHUNK_ROWS = 2_000
MEMO_ROWS = 50_000  # distinct headlines whose tag cells a process keeps (about 25 MB)


class LabelsError(ChipwatchError):
    """A CSV given to tag or evaluate cannot be used (missing column, bad 0/1 value)."""


def read_table(path: str | Path) -> tuple[list[str], list[list[str]]]:
    """The header and the rows (lists of cells; blank lines skipped) of a headline CSV."""
    p = Path(path)
    try:
        with p.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            columns = next(reader, [])
            rows = [r for r in reader if r]
    except OSError as exc:
        raise LabelsError(f"{p}: cannot read ({exc.strerror or exc})") from exc
    except (csv.Error, UnicodeDecodeError) as exc:
        raise LabelsError(f"{p}: not a readable UTF-8 CSV ({exc})") from exc
    if "title" not in columns:
        found = ", ".join(columns) if columns else "none"
        raise LabelsError(f"{p}: no 'title' column (columns found: {found})")
    return columns, rows


def tag_columns(tagger: Tagger) -> list[str]:
    """The columns tag_csv adds, in order."""
    added = ["companies"]
    for tid in tagger.taxonomy.theme_ids:
        added += [f"{tid}_score", tid, f"{tid}_direction"]
    return [*added, "evidence", "direction_evidence"]


def tag_csv(
    in_path: str | Path, out_path: str | Path, tagger: Tagger, workers: int | None = None
) -> int:
    """Write `in_path` with tag columns added; returns the number of rows written.

    Input columns are kept in order; any input column that has the name of an output column
    (`companies`, `<theme>_score`, `<theme>`, `<theme>_direction`, `evidence`,
    `direction_evidence`) is replaced, so a tagged file can be tagged again after a taxonomy
    change. `workers` forked processes tag chunks of rows while this one reads and writes
    (None: one per core, up to two, for files of POOL_MIN_ROWS rows or more; 0: inline).
    """
    columns, rows = read_table(in_path)
    added = tag_columns(tagger)
    kept = [c for c in columns if c not in added]
    last = {c: i for i, c in enumerate(columns)}  # a repeated name reads its last cell
    layout = _Layout(
        width=len(columns),
        title=last["title"],
        summary=last.get("summary", -1),
        kept=tuple(last[c] for c in kept),
    )
    if workers is None:
        workers = min(2, os.cpu_count() or 1) if len(rows) >= POOL_MIN_ROWS else 0
    out = Path(out_path)
    try:
        with out.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh, lineterminator="\n").writerow(kept + added)
            for text in _tagged_chunks(tagger, rows, layout, workers):
                fh.write(text)
    except OSError as exc:
        raise LabelsError(f"{out}: cannot write ({exc.strerror or exc})") from exc
    return len(rows)


class _Layout:
    """Where tag_csv finds its cells in an input row."""

    __slots__ = ("width", "title", "summary", "kept")

    def __init__(self, width: int, title: int, summary: int, kept: tuple[int, ...]):
        self.width, self.title, self.summary, self.kept = width, title, summary, kept


def _tag_lines(
    tagger: Tagger, rows: list[list[str]], layout: _Layout, memo: dict[tuple[str, str], list[str]]
) -> str:
    """The CSV lines of tag_csv for these rows: kept columns, then the tag columns. A
    headline met before (the same wire story from several feeds, say) takes its tag cells
    from `memo`, since tags are a pure function of the text."""
    ids = tagger.taxonomy.theme_ids
    tag = tagger.tag
    width, ti, si, kept = layout.width, layout.title, layout.summary, layout.kept
    buffer = io.StringIO()
    writerow = csv.writer(buffer, lineterminator="\n").writerow
    for row in rows:
        if len(row) < width:  # a short row: its missing cells are empty
            row = row + [""] * (width - len(row))
        key = (row[ti], row[si] if si >= 0 else "")
        cells = memo.get(key)
        if cells is None:
            if len(memo) >= MEMO_ROWS:
                memo.clear()
            cells = memo[key] = _tag_cells(tag(*key), ids)
        writerow([row[i] for i in kept] + cells)
    return buffer.getvalue()


_DIRECTION_TEXT = {1: "1", 0: "0", -1: "-1"}
_score_text: dict[float, str] = {}  # a score as written (scores repeat: 0.0, single terms)


def _tag_cells(tags, ids: tuple[str, ...]) -> list[str]:
    cells = [";".join([m.name for m in tags.companies])]
    scores, themes, directions = tags.scores, tags.themes, tags.directions
    for tid in ids:
        score = scores[tid]
        text = _score_text.get(score)
        if text is None:
            if len(_score_text) > 10_000:
                _score_text.clear()
            text = _score_text[score] = f"{score:.3f}"
        cells += (text, "1" if tid in themes else "0", _DIRECTION_TEXT[directions.get(tid, 0)])
    cells.append(
        evidence_text((t, [(e.term, e.where) for e in evs]) for t, evs in tags.evidence.items())
    )
    cells.append(cue_text(tags.direction_evidence))
    return cells


# What forked workers inherit from the parent instead of receiving it: (tagger, rows, layout,
# memo); each worker's memo then fills with the headlines it has tagged.
_forked: tuple | None = None


def _tag_span(span: tuple[int, int]) -> str:
    assert _forked is not None
    tagger, rows, layout, memo = _forked
    return _tag_lines(tagger, rows[span[0] : span[1]], layout, memo)


def _tagged_chunks(tagger: Tagger, rows: list[list[str]], layout: _Layout, workers: int):
    """CSV text chunk by chunk, in input order; in `workers` forked processes when >= 2
    (they inherit the tagger and the rows, and send back only text)."""
    spans = [(i, min(i + CHUNK_ROWS, len(rows))) for i in range(0, len(rows), CHUNK_ROWS)]
    memo: dict[tuple[str, str], list[str]] = {}
    if workers < 2 or len(spans) < 2:
        for a, b in spans:
            yield _tag_lines(tagger, rows[a:b], layout, memo)
        return
    global _forked
    _forked = (tagger, rows, layout, memo)
    context = multiprocessing.get_context("fork")
    try:
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            yield from pool.map(_tag_span, spans)
    finally:
        _forked = None
