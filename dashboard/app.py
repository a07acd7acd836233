"""Chipwatch's Streamlit entry point (`python -m dashboard.serve`, or `streamlit run` it).

Builds the context every page shares (database, taxonomy, filters from the URL), draws the
sidebar and the navigation, then runs the page the URL names.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

# `streamlit run dashboard/app.py` puts dashboard/ on sys.path, not the repo root: make the
# package importable even when it was not pip-installed.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import streamlit as st  # noqa: E402

from dashboard import config  # noqa: E402
from dashboard.errors import ChipwatchError  # noqa: E402
from dashboard.store.queries import query_notices  # noqa: E402
from dashboard.ui import auth, charts, data, freshness, shell, watching  # noqa: E402

HERE = Path(__file__).resolve().parent
PAGES = [
    # file, title, icon, url path
    ("ui/pages/overview.py", "Overview", ":material/space_dashboard:", ""),
    ("ui/pages/signals.py", "What's rising", ":material/trending_up:", "signals"),
    ("ui/pages/timeline.py", "Timeline", ":material/timeline:", "timeline"),
    ("ui/pages/heatmaps.py", "Heatmaps", ":material/grid_on:", "heatmaps"),
    ("ui/pages/headlines.py", "Headlines", ":material/article:", "headlines"),
    ("ui/pages/feeds.py", "Feeds", ":material/rss_feed:", "feeds"),
    ("ui/pages/taxonomy.py", "Taxonomy", ":material/label:", "taxonomy"),
]


# Feeds and Taxonomy are not views of the headlines; signals are read for every series at once.
UNFILTERED = {"feeds", "taxonomy", "signals"}


@st.cache_resource(show_spinner=False)
def _taxonomy(path: str, mtime: float):
    from dashboard.tagging.taxonomy import load_taxonomy

    return load_taxonomy(path)


def load_taxonomy():
    path = config.taxonomy_path()
    try:
        return _taxonomy(str(path), path.stat().st_mtime), None
    except (OSError, ChipwatchError) as exc:
        return None, str(exc)


def main() -> None:
    st.set_page_config(
        page_title="Chipwatch",
        page_icon=":material/memory:",
        layout="wide",
        initial_sidebar_state="expanded",
    )
    user = auth.current_user()  # the sign-in screen stops here when nobody is signed in
    db = str(config.db_path())
    try:
        version = data.version(db)
        facets = data.facets(db, version)
    except ChipwatchError as exc:
        st.error(f"Cannot open the database: {exc}")
        st.stop()

    taxonomy, tax_error = load_taxonomy()
    tax_themes = list(taxonomy.theme_ids) if taxonomy else []
    theme_ids = tax_themes + [t for t in facets["themes"] if t not in tax_themes]
    labels = {t.id: t.label for t in taxonomy.themes} if taxonomy else {}
    labels.update({t: t.replace("_", " ").capitalize() for t in theme_ids if t not in labels})
    tax_companies = list(taxonomy.company_names) if taxonomy else []
    companies = list(dict.fromkeys(facets["companies"] + sorted(tax_companies)))
    anchor = shell.preset_anchor()

    pages = {
        path: st.Page(
            str(HERE / path), title=title, icon=icon, url_path=url or None, default=not url
        )
        for path, title, icon, url in PAGES
    }
    nav = st.navigation(list(pages.values()), position="hidden")
    # Pages that are not filtered views of the headlines (see UNFILTERED) show no filters.
    filtered = nav.url_path not in UNFILTERED

    with st.sidebar:
        st.markdown("## :material/memory: Chipwatch")
        st.caption("Where risk is building in the AI-hardware news")
        fresh = watching.freshness_text(data.heartbeat(db), datetime.now(UTC))
        if fresh:
            st.caption(fresh, help="From the heartbeat of `chipwatch watch`.")
        auth.sidebar(user)
        links = st.container()
        if filtered:
            st.divider()
            st.markdown("**Filters**")
    filters, notices = shell.sidebar_filters(
        companies=companies,
        themes=theme_ids,
        theme_labels=labels,
        sources=facets["sources"],
        anchor=anchor,
        first_day=facets.get("first_day"),
        show=filtered,
    )
    with links:
        params = filters.to_params()
        for path, title, icon, _url in PAGES:
            st.page_link(pages[path], label=title, icon=icon, query_params=params)

    st.session_state[shell.CTX_KEY] = shell.Context(
        db=db,
        version=version,
        facets=facets,
        filters=filters,
        theme_ids=theme_ids,
        theme_labels=labels,
        colors=charts.theme_colors(theme_ids),
        anchor=anchor,
        taxonomy=taxonomy,
        taxonomy_error=tax_error,
        notices=notices,
        user=user,
    )
    if facets.get("demo"):
        st.warning(
            f"**SYNTHETIC DEMO DATA** — {facets['demo']:,} of {facets['total']:,} headlines are "
            "invented by Chipwatch's demo generator, not real news. Remove them with "
            "`chipwatch purge --demo`.",
            icon=":material/science:",
        )
    for notice in notices:
        st.warning(notice, icon=":material/link_off:")
    if filtered:
        for notice in query_notices(filters.q):  # a search never ignores text silently
            st.warning(notice, icon=":material/search_off:")
    if tax_error:
        st.error(f"Taxonomy not loaded: {tax_error}", icon=":material/error:")
    freshness.draw(db, (filters.date_to or anchor) if filtered else None)
    nav.run()


main()
