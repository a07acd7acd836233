"""tag_csv writes exactly what it should; evaluate() measures the tagger on labelled rows."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import pytest

from dashboard.config import DEFAULT_TAXONOMY
from dashboard.errors import ChipwatchError
from dashboard.tagging.evaluate import LabelsError, evaluate, tag_csv
from dashboard.tagging.tagger import Tagger
from dashboard.tagging.taxonomy import load_taxonomy
from tests import taxonomies

LABELS = Path(__file__).parent / "data" / "labels.csv"
THEMES = ("hardware_autonomy", "geopolitics", "supply_chain")


@pytest.fixture
def round_tagger(tmp_path) -> Tagger:
    return taxonomies.round_tagger(tmp_path)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_tag_csv_whole_output(tmp_path, round_tagger):
    src = write(
        tmp_path / "in.csv",
        "id,title,summary,source\n"
        '1,"US widens export controls, trade talks stall",,wire\n'
        '2,Widget Company opens fab,"New fab in Ohio, export plans later",trade press\n'
        "3,Nothing to see,,blog\n",
    )
    out = tmp_path / "out.csv"
    assert tag_csv(src, out, round_tagger) == 3
    assert out.read_text(encoding="utf-8") == (
        "id,title,summary,source,companies,trade_score,trade,trade_direction,"
        "plants_score,plants,plants_direction,evidence,direction_evidence\n"
        '1,"US widens export controls, trade talks stall",,wire,,0.800,1,0,0.000,0,0,'
        '"trade: export controls (title), trade (title)",\n'
        '2,Widget Company opens fab,"New fab in Ohio, export plans later",trade press,'
        "Widgetco,0.100,0,0,0.500,1,0,trade: export (summary); plants: fab (title),\n"
        "3,Nothing to see,,blog,,0.000,0,0,0.000,0,0,,\n"
    )


def test_tag_csv_replaces_its_own_columns_when_run_again(tmp_path, round_tagger):
    src = write(tmp_path / "in.csv", "title,trade,companies,note\nNew fab,1,Acme,keep me\n")
    out = tmp_path / "out.csv"
    tag_csv(src, out, round_tagger)
    again = tmp_path / "again.csv"
    tag_csv(out, again, round_tagger)
    with again.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == [
        "title",
        "note",
        "companies",
        "trade_score",
        "trade",
        "trade_direction",
        "plants_score",
        "plants",
        "plants_direction",
        "evidence",
        "direction_evidence",
    ]
    assert rows[0]["note"] == "keep me"
    assert rows[0]["trade"] == "0" and rows[0]["plants"] == "1" and rows[0]["companies"] == ""


def test_a_csv_without_title_is_refused_with_a_named_error(tmp_path, round_tagger):
    src = write(tmp_path / "in.csv", "headline,summary\nNew fab,\n")
    with pytest.raises(LabelsError) as err:
        tag_csv(src, tmp_path / "out.csv", round_tagger)
    assert isinstance(err.value, ChipwatchError)
    assert str(src) in str(err.value) and "'title'" in str(err.value)
    assert "headline, summary" in str(err.value)
    assert not (tmp_path / "out.csv").exists()
    with pytest.raises(LabelsError, match="'title'"):
        evaluate(src, round_tagger)
    with pytest.raises(LabelsError, match="cannot read"):
        evaluate(tmp_path / "missing.csv", round_tagger)


def test_a_label_that_is_not_0_or_1_is_named(tmp_path, round_tagger):
    src = write(tmp_path / "labels.csv", "title,trade\nNew fab,yes\n")
    with pytest.raises(LabelsError, match=r"row 1: column 'trade' must be 0 or 1, got 'yes'"):
        evaluate(src, round_tagger)


def test_evaluate_counts_by_hand(tmp_path, round_tagger):
    labels = write(
        tmp_path / "labels.csv",
        "title,companies,trade,plants\n"
        "Export controls and trade talks,,1,0\n"  # trade found
        "Export controls widen,,1,0\n"  # 0.6 < 0.7: trade missed
        "Trade show opens,,0,0\n"  # excluded phrase: right
        "New fab for Widget Company,Widgetco,0,1\n"  # both right
        "Gizmo sales,Widgetco,0,1\n"  # company and plants missed
        "Trade talks and fab plans,,0,0\n",  # plants wrongly carried
    )
    report = evaluate(labels, round_tagger)
    trade, plants = report.themes["trade"], report.themes["plants"]
    assert (trade.tp, trade.fp, trade.fn, trade.support) == (1, 0, 1, 2)
    assert (trade.precision, trade.recall) == (1.0, 0.5)
    assert trade.f1 == pytest.approx(2 / 3)
    assert (plants.tp, plants.fp, plants.fn) == (1, 1, 1)
    assert plants.f1 == pytest.approx(0.5)
    assert report.macro_theme_f1 == pytest.approx((2 / 3 + 0.5) / 2)
    micro = report.company_micro
    assert (micro.tp, micro.fp, micro.fn) == (1, 0, 1)
    assert report.companies["Widgetco"].recall == 0.5
    assert [m.row for m in report.misses] == [2, 5, 6]
    gizmo = report.misses[1]
    assert gizmo.expected_companies == ("Widgetco",) and gizmo.got_companies == ()
    assert gizmo.expected_themes == ("plants",) and gizmo.got_themes == ()

    text = report.to_text()
    assert "macro F1" in text and "row 5: Gizmo sales" in text
    assert "companies expected Widgetco | got -" in text
    data = json.loads(json.dumps(report.to_dict()))
    assert data["rows"] == 6 and data["macro_theme_f1"] == round((2 / 3 + 0.5) / 2, 4)
    assert data["themes"]["trade"]["recall"] == 0.5
    assert data["misses"][0]["title"] == "Export controls widen"


def test_labels_file_is_big_varied_and_covers_the_watchlist():
    with LABELS.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    # The direction columns (issue 14) are optional: old 6-column files stay valid.
    assert list(rows[0]) in (
        ["title", "summary", "companies", *THEMES],
        ["title", "summary", "companies", *THEMES, *(f"{t}_direction" for t in THEMES)],
    )
    assert len(rows) >= 250
    themed = [sum(r[t] == "1" for t in THEMES) for r in rows]
    assert 0.3 <= themed.count(0) / len(rows) <= 0.5  # about 40% carry no theme
    assert sum(n >= 2 for n in themed) >= 25
    assert sum(r["summary"] != "" for r in rows) >= 20
    named = {c for r in rows for c in r["companies"].split(";") if c}
    watchlist = set(load_taxonomy(DEFAULT_TAXONOMY).company_names)
    assert named <= watchlist
    # The watchlist grew to 74 companies (issue 14) after these labels were written; the
    # held-out batches cover the newer names. Every company of the original watchlist is here.
    assert len(named) >= 27
    assert len({r["title"] for r in rows}) == len(rows)


def _labelled_watchlist(taxonomy):
    """The taxonomy cut down to the companies this label file was written for: its rows
    were labelled against the 27-company watchlist, so a newer company found in them
    ("Anthropic workloads") is right but unlabelled. The held-out batches, labelled against
    the whole watchlist, measure the newer names."""
    with LABELS.open(encoding="utf-8") as fh:
        named = {c for r in csv.DictReader(fh) for c in r["companies"].split(";") if c}
    return replace(taxonomy, companies=tuple(c for c in taxonomy.companies if c.name in named))


def test_the_tagger_meets_its_targets_on_the_labelled_headlines():
    taxonomy = load_taxonomy(DEFAULT_TAXONOMY)
    report = evaluate(LABELS, Tagger(_labelled_watchlist(taxonomy)))
    assert report.rows >= 250
    assert set(report.themes) == set(THEMES)
    assert report.macro_theme_f1 >= 0.90, report.to_text()
    assert report.company_micro.f1 >= 0.97, report.to_text()
    assert all(m.f1 >= 0.80 for m in report.themes.values()), report.to_text()


def test_tag_csv_in_worker_processes_writes_what_one_process_writes(
    tmp_path, round_tagger, monkeypatch
):
    from dashboard.tagging import batch as module

    monkeypatch.setattr(module, "CHUNK_ROWS", 10)  # 8 chunks over 2 workers
    lines = ["title,summary"]
    for i in range(25):
        lines += [f'"Row {i}: US widens export controls",', f"Row {i}: Widget Company opens fab,"]
        lines += [f"Row {i}: nothing to see,New fab in Ohio"]
    src = write(tmp_path / "in.csv", "\n".join(lines) + "\n")
    inline, pooled = tmp_path / "inline.csv", tmp_path / "pooled.csv"
    assert tag_csv(src, inline, round_tagger, workers=0) == 75
    assert tag_csv(src, pooled, round_tagger, workers=2) == 75
    assert pooled.read_bytes() == inline.read_bytes()
    assert inline.read_text(encoding="utf-8").count("\n") == 76


def test_tag_csv_writes_the_seed_headlines_as_the_issue_reads_them(tmp_path):
    """The columns an outside measurement reads (companies, <theme>, <theme>_direction)."""
    src = write(
        tmp_path / "in.csv",
        'title\n"DeepSeek withholds latest AI model from Nvidia, AMD"\nTSMC expands CoWoS capacity\n',
    )
    out = tmp_path / "out.csv"
    tag_csv(src, out, Tagger(load_taxonomy(DEFAULT_TAXONOMY)))
    with out.open(encoding="utf-8") as fh:
        withholds, expands = csv.DictReader(fh)
    assert withholds["companies"] == "DeepSeek;Nvidia;AMD"
    assert [withholds[t] for t in THEMES] == ["1", "0", "0"]
    assert withholds["hardware_autonomy_direction"] == "1"
    assert expands["companies"] == "TSMC"
    assert [expands[t] for t in THEMES] == ["0", "0", "1"]
    assert expands["supply_chain_direction"] == "-1"


def test_tag_csv_reads_short_rows_and_repeated_columns_as_a_spreadsheet_does(
    tmp_path, round_tagger
):
    src = write(
        tmp_path / "in.csv",
        "id,title,note,title\n1,ignored,n,Export controls and trade talks\n2\n\n3,New fab\n",
    )
    out = tmp_path / "out.csv"
    assert tag_csv(src, out, round_tagger) == 3  # the blank line is no row
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:4] == ["id", "title", "note", "title"]
    # a repeated name reads its last cell; a short row's missing cells are empty
    assert rows[1][:4] == [
        "1",
        "Export controls and trade talks",
        "n",
        "Export controls and trade talks",
    ]
    assert rows[1][6] == "1"  # trade
    assert rows[2][:5] == ["2", "", "", "", ""]
    assert rows[3][:4] == ["3", "", "", ""]


def test_a_repeated_headline_is_tagged_once_and_written_for_every_row(
    tmp_path, round_tagger, monkeypatch
):
    from dashboard.tagging import batch

    calls = []
    real = round_tagger.tag
    monkeypatch.setattr(round_tagger, "tag", lambda *a: calls.append(a) or real(*a))
    lines = ["id,title,summary"]
    for i in range(30):
        lines.append(f'{i},"US widens export controls, trade talks stall",')
        lines.append(f"{i},Widget Company opens fab,New fab in Ohio")
    src = write(tmp_path / "in.csv", "\n".join(lines) + "\n")
    remembered, forgetful = tmp_path / "remembered.csv", tmp_path / "forgetful.csv"
    assert tag_csv(src, remembered, round_tagger, workers=0) == 60
    assert len(calls) == 2
    monkeypatch.setattr(batch, "MEMO_ROWS", 1)  # forgets at every new headline
    tag_csv(src, forgetful, round_tagger, workers=0)
    assert len(calls) == 2 + 60
    assert remembered.read_bytes() == forgetful.read_bytes()
    with remembered.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["id"] for r in rows[:4]] == ["0", "0", "1", "1"]
    assert {r["trade"] for r in rows[::2]} == {"1"} and {r["plants"] for r in rows[1::2]} == {"1"}


# `chipwatch tag --csv tests/data/labels.csv --out tests/data/labels_tagged.csv`, as recorded.
TAGGED = LABELS.parent / "labels_tagged.csv"


def test_the_labelled_headlines_are_tagged_as_recorded(tmp_path):
    """Every cell of every row (scores, evidence, nearest labelled examples, direction cues)
    as recorded: a change made for speed must not move one. A taxonomy or model edit shows
    up here row by row; after checking the rows it changed, write the file again with the
    command above."""
    out = tmp_path / "tagged.csv"
    tag_csv(LABELS, out, Tagger(load_taxonomy(DEFAULT_TAXONOMY)), workers=0)
    with out.open(encoding="utf-8") as fh, TAGGED.open(encoding="utf-8") as want:
        got, recorded = list(csv.reader(fh)), list(csv.reader(want))
    assert len(got) == len(recorded) == 1848
    changed = [(w[0], w, g) for w, g in zip(recorded, got, strict=True) if w != g]
    assert not changed, f"{len(changed)} rows differ, first: {changed[0]}"


def test_held_out_batches_stay_apart_from_the_tuning_set_and_are_well_formed():
    """A held-out batch measures what tuning did not see: no headline of one may sit in
    labels.csv (or in another batch), and every file keeps the labels' shape."""
    watchlist = set(load_taxonomy(DEFAULT_TAXONOMY).company_names)
    seen: dict[str, str] = {}
    files = sorted(f for f in LABELS.parent.glob("labels*.csv") if f != TAGGED)
    assert [f.name for f in files][:2] == ["labels.csv", "labels_holdout_1.csv"]
    assert len(files) >= 5
    for path in files:
        with path.open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert list(rows[0]) == [
            "title",
            "summary",
            "companies",
            *THEMES,
            *(f"{t}_direction" for t in THEMES),
        ], path.name
        for r in rows:
            assert r["title"] not in seen, f"{r['title']!r} in {path.name} and {seen[r['title']]}"
            seen[r["title"]] = path.name
            assert {c for c in r["companies"].split(";") if c} <= watchlist, r["title"]
            for t in THEMES:
                assert r[t] in ("0", "1") and r[f"{t}_direction"] in ("-1", "0", "1"), r["title"]
                assert r[t] == "1" or r[f"{t}_direction"] == "0", r["title"]
