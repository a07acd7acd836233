"""Ingest end to end: files, folders, OPML, bad sources, idempotency, the real-world corpus."""

from __future__ import annotations

import pytest

from dashboard import demo
from dashboard.ingest import ingest
from dashboard.store import Store
from tests.conftest import CORPUS, DEMO_END

RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>
<link>https://wire.example/</link>{items}</channel></rss>"""
ITEM = "<item><title>{t}</title><link>{link}</link><pubDate>Mon, 02 Nov 2026 10:00:00 GMT</pubDate></item>"


def rss(title: str, *items: tuple[str, str]) -> str:
    return RSS.format(title=title, items="".join(ITEM.format(t=t, link=link) for t, link in items))


def test_folder_ingest_is_idempotent_and_tags_at_ingest(tmp_path):
    demo.write_feeds(tmp_path / "feeds", 300, end=DEMO_END)
    with Store(tmp_path / "c.db") as store:
        first = ingest(store, [str(tmp_path / "feeds")])
        count = store.headline_count()
        second = ingest(store, [str(tmp_path / "feeds")])
        assert first.new == count == 300 and not first.failures
        assert second.new == 0 and second.duplicates == 300
        assert store.headline_count() == count
        # Demo files are recognised as synthetic; every row was tagged with the current taxonomy.
        assert (
            store.conn.execute("SELECT count(*) FROM headlines WHERE is_demo = 0").fetchone()[0]
            == 0
        )
        assert (
            store.conn.execute(
                "SELECT count(*) FROM headlines WHERE tag_version IS NULL"
            ).fetchone()[0]
            == 0
        )
        tagged = store.conn.execute(
            "SELECT count(*) FROM headline_themes WHERE carried = 1"
        ).fetchone()[0]
        assert tagged > 100


def test_same_story_across_feeds_and_within_a_feed(tmp_path):
    story = ("Huawei ships Ascend chips to domestic labs", "https://news.example/a?utm_source=x")
    (tmp_path / "a.xml").write_text(rss("Wire A", story, story))
    (tmp_path / "b.xml").write_text(rss("Wire B", story, ("Other story", "https://news.example/b")))
    with Store(tmp_path / "c.db") as store:
        report = ingest(store, [str(tmp_path / "a.xml"), str(tmp_path / "b.xml")])
        # One URL, one headline: the copy in the same feed and the syndicated copy are duplicates.
        assert store.headline_count() == 2
        assert report.new == 2 and report.duplicates == 2


def test_bad_sources_are_reported_and_the_others_go_on(tmp_path):
    (tmp_path / "good.xml").write_text(
        rss("Good", ("SMIC expands capacity", "https://n.example/1"))
    )
    (tmp_path / "page.xml").write_text("<html><body><h1>Not a feed</h1></body></html>")
    (tmp_path / "empty.xml").write_text("")
    with Store(tmp_path / "c.db") as store:
        before = ingest(store, [str(tmp_path / "good.xml")])
        report = ingest(
            store,
            [
                str(tmp_path / "missing.xml"),
                "ftp://example.com/feed",
                "javascript:alert(1)",
                str(tmp_path / "page.xml"),
                str(tmp_path / "empty.xml"),
                str(tmp_path / "good.xml"),
            ],
        )
        reasons = dict(report.failures)
        assert before.new == 1 and store.headline_count() == 1  # nothing stored was lost
        assert "no such file" in reasons[str(tmp_path / "missing.xml")]
        assert "unsupported URL scheme" in reasons["ftp://example.com/feed"]
        assert "unsupported URL scheme" in reasons["javascript:alert(1)"]
        assert len(report.failures) == 5 and report.count("ok") == 1 and not report.all_failed
        page = store.feed(str((tmp_path / "page.xml").resolve()))
        assert page["last_status"] == "failed" and page["last_error"]
        assert page["consecutive_failures"] == 1


def test_every_source_failing_is_flagged(tmp_path):
    with Store(tmp_path / "c.db") as store:
        report = ingest(store, [str(tmp_path / "nope.xml"), "file:///etc/passwd"])
    assert report.all_failed and report.new == 0


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared feed corpus is not beside the repo")
def test_real_world_corpus_every_file_accounted_for(tmp_path, capsys):
    files = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix != ".md")
    with Store(tmp_path / "c.db") as store:
        report = ingest(store, [str(CORPUS)])
        outcomes = {o.source: o for o in report.outcomes}
        assert set(outcomes) == {str(p.resolve()) for p in files}
        assert not report.source_errors
        ok = [o for o in report.outcomes if o.status == "ok"]
        failed = [o for o in report.outcomes if o.status == "failed"]
        assert len(ok) + len(failed) == len(files)
        assert all(o.reason for o in failed)
        with_headlines = sum(1 for o in ok if o.new)
        repeats = sum(1 for o in ok if not o.new and o.duplicates)
        assert store.integrity_ok()
        total = store.headline_count()
    with capsys.disabled():
        print(
            f"\ncorpus: {len(files)} files, {with_headlines} gave new headlines, {repeats} only "
            f"entries already stored or skipped, {len(ok) - with_headlines - repeats} parsed with "
            f"none, {len(failed)} reported; "
            f"{total} headlines stored"
        )
    assert with_headlines > len(files) // 3


def test_worker_processes_store_exactly_what_one_process_stores(tmp_path):
    demo.write_feeds(tmp_path / "feeds", 1200, feeds=12, end=DEMO_END)
    snapshots = []
    for workers in (0, 2):
        with Store(tmp_path / f"w{workers}.db") as store:
            report = ingest(store, [str(tmp_path / "feeds")], settings={"parse_workers": workers})
            assert report.new == 1200 and not report.failures
            q = store.conn.execute
            snapshots.append(
                (
                    sorted(
                        q(
                            "SELECT id, title, companies, themes, max_score, theme_scores,"
                            " evidence_text FROM headlines"
                        )
                    ),
                    sorted(q("SELECT headline_id, theme, score, carried FROM headline_themes")),
                    sorted(q("SELECT day, company, theme, n FROM rollup_daily")),
                )
            )
    assert snapshots[0] == snapshots[1]


def test_a_few_big_files_get_workers_and_small_ones_do_not(tmp_path, monkeypatch):
    # Worker processes pay for many files or for a few big ones (issue 18: 6 feeds x 8,000
    # items were parsed in one process); two small files stay in this one.
    from dashboard.config import Settings
    from dashboard.ingest import workers
    from dashboard.tagging.taxonomy import load_taxonomy

    monkeypatch.setattr(workers.os, "cpu_count", lambda: 2)
    settings = Settings.of({"parse_workers": 2})
    taxonomy = load_taxonomy()
    big = workers.POOL_MIN_BYTES
    cases = [(2, 0, False), (2, big, True), (1, 10 * big, False), (workers.POOL_MIN_FILES, 0, True)]
    for n, size, pooled in cases:
        with workers.WorkerPool.for_jobs(n, None, taxonomy, settings, size=size) as pipe:
            assert (pipe.pool is not None) == pooled, (n, size)
    # And the pipeline hands the files' total size on.
    seen = []
    real = workers.WorkerPool.for_jobs.__func__

    def spy(cls, n, tagger, taxonomy, settings, *, size=0, built=None):
        seen.append((n, size))
        return real(cls, n, tagger, taxonomy, settings, size=size, built=built)

    monkeypatch.setattr(workers.WorkerPool, "for_jobs", classmethod(spy))
    files = demo.write_feeds(tmp_path / "feeds", 300, feeds=3, end=DEMO_END)
    with Store(tmp_path / "s.db") as store:
        ingest(store, [str(tmp_path / "feeds")], settings={"parse_workers": 2})
    assert seen == [(3, sum(p.stat().st_size for p in files))]


def test_retag_tags_a_text_once_a_batch_and_plans_what_tagging_each_row_plans(seeded_db):
    # Copies of one text in a batch share its tags (the tagger is a pure function of title
    # and summary): the plan must be the one tagging every row gives, with fewer calls.
    from dashboard.models import RetagBatch
    from dashboard.store.shape import tag_rows
    from dashboard.tagging.retag import plan_retag, retag_plan
    from dashboard.tagging.tagger import Tagger
    from dashboard.tagging.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()

    class Counting(Tagger):
        calls = 0

        def tag(self, title, summary=""):
            Counting.calls += 1
            return super().tag(title, summary)

    with Store(seeded_db, readonly=True) as store:
        batch = next(store.retag_batches("another version", batch=400))
    rows = batch.rows + [(-1 - i, f"copy{i}", *r[2:]) for i, r in enumerate(batch.rows[:50])]
    work = RetagBatch(rows, batch.companies)
    tagger = Counting(taxonomy)
    plan = retag_plan(work, "v2", tagger)
    assert Counting.calls == len({(r[2], r[3]) for r in rows}) < len(rows)
    each = [tag_rows(r[1], r[4], Tagger(taxonomy).tag(r[2], r[3])) for r in rows]
    assert plan == plan_retag(work, each, "v2")
