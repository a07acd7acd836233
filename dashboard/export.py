"""CSV extracts of the filtered headlines: every matching row, safe to open in a spreadsheet.

Columns: published_at, source, title, url, companies, one <theme>_score column per theme
(0 to 1, three decimals), one <theme>_direction column per theme (1, -1, 0), top_score_pct,
evidence, direction_evidence, story_id, story_outlets, corrections (the analysts' standing
corrections of the row, '' for none). ``top_score_pct`` is the headline's
highest theme score x 100 (dashboard.risk.headline_risk), the row's own weight, not a risk:
the dashboard's company and theme risk adds the scores up with the direction, story and age
weights described in dashboard.risk.
`write_stories_csv` writes one row per story instead (`chipwatch export --stories`).

The file is UTF-8 with a byte-order mark and CRLF line ends, which is what Excel expects.
A cell that starts with =, +, -, @, a tab or a carriage return gets a leading single quote,
so a spreadsheet shows it as text instead of running it as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import IO

from dashboard.filters import Filters
from dashboard.risk import headline_risk
from dashboard.store import queries
from dashboard.tagging.corrections import notes_text

_FORMULA_START = frozenset(("=", "+", "-", "@", "\t", "\r"))  # each one character
# Rows are written to text in memory a batch at a time and handed to the file in one piece:
# a write per row through the file's encoder cost a third of an extract.
_CHUNK_ROWS = 5000


def safe_cell(value: str) -> str:
    """Neutralise a text cell a spreadsheet would otherwise evaluate."""
    return "'" + value if value[:1] in _FORMULA_START else value


def filename(filters: Filters, first: date | None = None, last: date | None = None) -> str:
    """The extract's file name, with the real dates of an open window when given (the
    data's first day, today)."""
    return f"chipwatch_{filters.slug(first, last)}.csv"


def _write(store, filters: Filters, text: IO[str], themes: Sequence[str] | None) -> int:
    themes = list(themes) if themes is not None else queries.theme_ids(store)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    text.write("\ufeff")
    writer.writerow(queries.export_columns(themes))
    n = len(themes)
    m = 5 + 2 * n
    written = 0
    chunk: list[tuple] = []

    def flush() -> None:
        writer.writerows(chunk)
        text.write(buf.getvalue())
        buf.seek(0)
        buf.truncate()
        chunk.clear()

    for row in queries.export_rows(store, filters, themes):
        # queries.export_columns: published_at, source, title, url, companies,
        # scores..., directions..., top_score_pct, evidence, direction_evidence,
        # story_id, story_outlets, corrections
        chunk.append(
            (
                row[0],
                *map(safe_cell, row[1:5]),
                *[f"{s:.3f}" for s in row[5 : 5 + n]],
                *row[5 + n : m],
                f"{headline_risk(row[m : m + 1]):.1f}",
                safe_cell(row[m + 1]),
                safe_cell(row[m + 2]),
                row[m + 3],
                row[m + 4],
                safe_cell(notes_text(row[m + 5])),
            )
        )
        if len(chunk) >= _CHUNK_ROWS:
            written += len(chunk)
            flush()
    written += len(chunk)
    flush()
    return written


@contextmanager
def _text(path_or_file: str | Path | IO) -> Iterator[IO[str]]:
    """A text file to write CSV to: a path (opened here), a text file, or a binary file the
    caller owns (left open)."""
    if isinstance(path_or_file, str | Path):
        with open(path_or_file, "w", encoding="utf-8", newline="") as fh:
            yield fh
        return
    if isinstance(path_or_file, io.TextIOBase):
        yield path_or_file
        return
    wrapper = io.TextIOWrapper(path_or_file, encoding="utf-8", newline="")
    try:
        yield wrapper
    finally:
        wrapper.flush()
        wrapper.detach()  # the caller owns the binary file; leave it open


def write_csv(
    store, filters: Filters, path_or_file: str | Path | IO, *, themes: Sequence[str] | None = None
) -> int:
    """Write every headline matching filters; returns the number of rows written.

    path_or_file is a path, a binary file or a text file (opened with newline='').
    themes chooses the score columns (default: every theme present in the store).
    """
    with _text(path_or_file) as text:
        return _write(store, filters, text, themes)


def write_stories_csv(
    store,
    filters: Filters,
    path_or_file: str | Path | IO,
    *,
    themes: Sequence[str] | None = None,
    order: str = "latest",
) -> int:
    """One row per story behind the matching headlines (queries.stories.columns): its id,
    first and last seen, the newest matching headline's time, the lead's title and link, its
    outlets and headlines, how many of them match, companies and themes of the matching
    ones, each theme's highest score and direction (1 escalating, -1 easing, 0 neither), and
    the analysts' standing corrections of any of its headlines ('' for none).
    Newest match first (order="score": highest theme score first, "outlets": most outlets
    first, as the screen that offers it); returns the number of stories written."""
    themes = list(themes) if themes is not None else queries.theme_ids(store)
    columns = queries.stories.columns(themes)
    corrected = queries.story_corrections(store)
    written = 0
    with _text(path_or_file) as text:
        writer = csv.writer(text, lineterminator="\r\n")
        text.write("\ufeff")
        writer.writerow([*columns, "corrections"])
        for row in queries.stories.every(store, filters, themes, order):
            written += 1
            notes = notes_text(corrected.get(row["story_id"]))
            if row["story_id"] < 0:  # a headline stored before stories existed: no id yet
                row["story_id"] = ""
            writer.writerow(
                [
                    *[
                        f"{v:.3f}"
                        if isinstance(v, float)
                        else safe_cell(v)
                        if isinstance(v, str)
                        else v
                        for v in (row[c] for c in columns)
                    ],
                    safe_cell(notes),
                ]
            )
    return written


def csv_bytes(store, filters: Filters, *, themes: Sequence[str] | None = None) -> bytes:
    """The whole extract in memory, for st.download_button."""
    buf = io.BytesIO()
    write_csv(store, filters, buf, themes=themes)
    return buf.getvalue()


def stories_csv_bytes(
    store, filters: Filters, *, themes: Sequence[str] | None = None, order: str = "latest"
) -> bytes:
    buf = io.BytesIO()
    write_stories_csv(store, filters, buf, themes=themes, order=order)
    return buf.getvalue()


def stories_filename(filters: Filters, first: date | None = None, last: date | None = None) -> str:
    return f"chipwatch_stories_{filters.slug(first, last)}.csv"
