"""CSV extracts: exact bytes of a small export, formula neutralising, every row exported."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from dashboard import export
from dashboard.filters import Filters
from dashboard.models import Headline
from dashboard.store import Store
from dashboard.tagging.direction import Cue
from dashboard.tagging.tagger import CompanyMatch, Evidence, Tags


def item(
    i: int,
    title: str,
    day: str,
    *,
    companies=(),
    scores=None,
    source="Wire",
    summary="",
    directions=None,
):
    scores = scores or {}
    directions = directions or {}
    cues = {
        t: (Cue("tightens" if d > 0 else "eases", "title", 0.9 * d),) for t, d in directions.items()
    }
    themes = tuple(t for t, s in scores.items() if s >= 0.5)
    evidence = {t: (Evidence("export controls", "title", s),) for t, s in scores.items()}
    h = Headline(
        id=f"h{i:06d}",
        source=source,
        title=title,
        summary=summary,
        url=f"https://example.com/{i}",
        published_at=f"{day}T08:00:00Z",
    )
    return h, Tags(
        tuple(CompanyMatch(c, c) for c in companies), scores, evidence, themes, directions, cues
    )


def fill(path, items) -> Store:
    s = Store(path)
    feed = s.ensure_feed("https://example.com/feed", "Example")
    with s.transaction():
        s.add_headlines(feed, items, tag_version="v1", fetched_at="2026-05-01T00:00:00Z")
    return s


SMALL = [
    item(
        1,
        "US tightens export controls, again",
        "2026-03-01",
        companies=("Nvidia", "AMD"),
        scores={"geopolitics": 0.8, "supply_chain": 0.25},
        directions={"geopolitics": 1},
    ),
    item(
        2,
        '=HYPERLINK("http://evil","click")',
        "2026-03-02",
        scores={"supply_chain": 0.6},
        directions={"supply_chain": -1},
    ),
    item(3, '-5% slump at "Fab" café', "2026-03-03", companies=("TSMC",)),
    item(4, "@SUM(A1)", "2026-03-04", source="+Wire"),
    item(5, "\tTabbed", "2026-03-05"),
    item(6, "\rReturn\nand newline", "2026-03-06"),
]


def test_small_export_exact_bytes(tmp_path):
    with fill(tmp_path / "x.db", SMALL) as s:
        got = export.csv_bytes(s, Filters())
    # Every title is its own event: stories 1-6 in order of publication, one outlet each.
    expected = (
        "\ufeffpublished_at,source,title,url,companies,geopolitics_score,supply_chain_score,"
        "geopolitics_direction,supply_chain_direction,"
        "top_score_pct,evidence,direction_evidence,story_id,story_outlets,corrections\r\n"
        '2026-03-06T08:00:00Z,Wire,"\'\rReturn\nand newline",https://example.com/6,,'
        "0.000,0.000,0,0,0.0,,,6,1,\r\n"
        "2026-03-05T08:00:00Z,Wire,'\tTabbed,https://example.com/5,,0.000,0.000,0,0,0.0,,,5,1,\r\n"
        "2026-03-04T08:00:00Z,'+Wire,'@SUM(A1),https://example.com/4,,0.000,0.000,0,0,0.0,,,4,1,"
        "\r\n"
        '2026-03-03T08:00:00Z,Wire,"\'-5% slump at ""Fab"" café",https://example.com/3,'
        "TSMC,0.000,0.000,0,0,0.0,,,3,1,\r\n"
        '2026-03-02T08:00:00Z,Wire,"\'=HYPERLINK(""http://evil"",""click"")",'
        "https://example.com/2,,0.000,0.600,0,-1,60.0,supply_chain: export controls (title),"
        "supply_chain: eases (title -0.90),2,1,\r\n"
        '2026-03-01T08:00:00Z,Wire,"US tightens export controls, again",'
        "https://example.com/1,Nvidia; AMD,0.800,0.250,1,0,80.0,"
        "geopolitics: export controls (title); supply_chain: export controls (title),"
        "geopolitics: tightens (title +0.90),1,1,\r\n"
    ).encode("utf-8")
    assert got == expected


def test_no_cell_starts_with_a_formula_character(tmp_path):
    with fill(tmp_path / "x.db", SMALL) as s:
        text = export.csv_bytes(s, Filters()).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == 1 + len(SMALL)
    directions = [i for i, c in enumerate(rows[0]) if c.endswith("_direction")]
    for row in rows[1:]:
        for i, cell in enumerate(row):
            if i in directions:  # a number a spreadsheet reads as a number: -1, 0 or 1
                assert cell in ("-1", "0", "1"), cell
            else:
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert "-1" in {rows[i][c] for i in range(1, len(rows)) for c in directions}
    assert rows[4][2] == '\'-5% slump at "Fab" café'


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@x", "\tx", "\rx"])
def test_safe_cell(value):
    assert export.safe_cell(value) == "'" + value
    assert export.safe_cell("plain " + value) == "plain " + value


def test_all_rows_not_a_page_and_filters_apply(tmp_path):
    # More rows than one batch of the streaming iterator and far more than a page.
    items = [
        item(
            i,
            f"Story number {i}",
            f"2026-0{1 + i % 3}-{1 + i % 28:02d}",
            companies=("Nvidia",) if i % 4 == 0 else (),
            scores={"geopolitics": 0.7} if i % 5 == 0 else {},
        )
        for i in range(5_300)
    ]
    with fill(tmp_path / "big.db", items) as s:
        out = tmp_path / "all.csv"
        n = export.write_csv(s, Filters(), out)
        assert n == 5_300
        data = out.read_bytes()
        assert data.startswith(b"\xef\xbb\xbf") and data.count(b"\r\n") == 5_301
        assert data == export.csv_bytes(s, Filters())
        f = Filters(companies=("Nvidia",), themes=("geopolitics",), date_from=date(2026, 2, 1))
        rows = list(csv.DictReader(io.StringIO(export.csv_bytes(s, f).decode("utf-8-sig"))))
        expected = {
            f"Story number {i}"
            for i in range(5_300)
            if i % 4 == 0 and i % 5 == 0 and 1 + i % 3 >= 2
        }
        assert {r["title"] for r in rows} == expected and len(rows) == len(expected)
        # A binary file and a text file get the same bytes.
        buf = io.StringIO(newline="")
        assert export.write_csv(s, f, buf) == len(expected)
        assert buf.getvalue().encode("utf-8") == export.csv_bytes(s, f)


def test_theme_columns_can_follow_the_taxonomy(tmp_path):
    with fill(tmp_path / "x.db", SMALL[:1]) as s:
        text = export.csv_bytes(s, Filters(), themes=["geopolitics", "new_theme"])
    header = text.decode("utf-8-sig").split("\r\n")[0]
    assert header.endswith(
        "geopolitics_score,new_theme_score,geopolitics_direction,new_theme_direction,"
        "top_score_pct,evidence,direction_evidence,story_id,story_outlets,corrections"
    )


def test_filename():
    f = Filters(
        companies=("Nvidia",),
        themes=("geopolitics",),
        date_from=date(2026, 1, 1),
        date_to=date(2026, 3, 31),
    )
    assert export.filename(f) == "chipwatch_nvidia_geopolitics_2026-01-01_2026-03-31.csv"
    assert export.filename(Filters()) == "chipwatch_start_now.csv"
    # The dashboard names an open window by its real dates: the data's first day, today.
    assert (
        export.filename(Filters(), date(2026, 8, 5), date(2026, 12, 3))
        == "chipwatch_2026-08-05_2026-12-03.csv"
    )
    assert export.filename(f, date(2020, 1, 1), date(2030, 1, 1)).endswith(
        "2026-01-01_2026-03-31.csv"
    )  # fixed dates stay as they are


def test_seeded_export_matches_count(seeded_db, tmp_path):
    from dashboard.store import queries

    with Store(seeded_db, readonly=True) as s:
        f = Filters(themes=(queries.theme_ids(s)[0],))
        n = export.write_csv(s, f, tmp_path / "out.csv")
        assert n == queries.count(s, f) > 0
