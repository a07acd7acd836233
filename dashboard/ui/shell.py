"""What every page shares: the database, the sidebar filters kept in the URL, navigation.

The URL is the source of truth for the filters. Each run reads the query parameters
(Filters.from_params), seeds the sidebar widgets from them, and only when the analyst has
just changed a widget does the run take the widgets' values and write them back to the URL.
That way a pasted link, the back button and a page switch all land on the same view.

Navigation is drawn by hand with st.page_link carrying the filters as query parameters:
Streamlit clears unbound query parameters on a page switch. ``bind="query-params"`` on the
widgets would keep them too, but it drops an unknown company or a bad date silently and
matches values case-sensitively, while an analyst pasting a link deserves a notice.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

import streamlit as st

from dashboard.access import LOCAL, User
from dashboard.filters import PRESETS, Filters
from dashboard.filters import period_bounds as period_bounds  # pages read it here
from dashboard.ui.tables import escape_md

PARAMS = ("window", "from", "to", "company", "theme", "source", "q", "min_score")
PRESET_LABELS = {
    "7d": "7 d",
    "30d": "30 d",
    "90d": "90 d",
    "1y": "1 y",
    "all": "All",
    "custom": "From–to",
}
CTX_KEY = "_chipwatch_ctx"


@dataclass
class Context:
    """Everything a page needs, computed once per run by app.py."""

    db: str
    version: str
    facets: dict
    filters: Filters
    theme_ids: list[str]
    theme_labels: dict[str, str]
    colors: dict[str, str]
    anchor: date  # the day presets end on
    taxonomy: object | None = None
    taxonomy_error: str | None = None
    notices: list[str] = field(default_factory=list)
    user: User = LOCAL  # who is here (dashboard/access.py); writes check user.can(...)

    def label(self, theme_id: str) -> str:
        return self.theme_labels.get(theme_id, theme_id)

    @property
    def empty_db(self) -> bool:
        return not self.facets.get("total")


def context() -> Context:
    ctx = st.session_state.get(CTX_KEY)
    if ctx is None:
        st.error("Open Chipwatch through its entry point: `streamlit run dashboard/app.py`.")
        st.stop()
    return ctx


def to_day(value) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def preset_anchor(today: date | None = None) -> date:
    """Presets end today (UTC). Ending them on the latest headline instead made a database
    nobody fed for a week look current; the freshness line says how old the data is."""
    return today or datetime.now(UTC).date()


def preset_of(f: Filters, anchor: date) -> str:
    if f.window in PRESETS:
        return f.window
    if f.date_from is None and f.date_to is None:
        return "all"
    return "custom"


def _current_params() -> dict[str, list[str]]:
    return {k: st.query_params.get_all(k) for k in PARAMS if st.query_params.get_all(k)}


def _normal(params: dict) -> dict[str, list[str]]:
    return {k: [v] if isinstance(v, str) else list(v) for k, v in params.items()}


def _mark_dirty() -> None:
    st.session_state["_w_dirty"] = True


def _on_preset() -> None:
    preset = st.session_state.get("w_preset") or "all"
    st.session_state["_w_dirty"] = True
    anchor = st.session_state.get("_w_anchor")
    first = st.session_state.get("_w_first") or anchor
    if preset == "all":
        st.session_state["w_dates"] = (first, anchor)
    elif preset in PRESETS:
        f = Filters().with_preset(preset, anchor)
        st.session_state["w_dates"] = (f.date_from, f.date_to)


def _on_dates() -> None:
    st.session_state["_w_dirty"] = True
    st.session_state["w_preset"] = "custom"


def _reset() -> None:
    for key in ("w_company", "w_theme", "w_source"):
        st.session_state[key] = []
    st.session_state["w_q"] = ""
    st.session_state["w_min"] = 0.0
    st.session_state["w_preset"] = "all"
    _on_preset()


def _seed(f: Filters, anchor: date, first: date | None) -> None:
    ss = st.session_state
    ss["w_company"] = list(f.companies)
    ss["w_theme"] = list(f.themes)
    ss["w_source"] = list(f.sources)
    ss["w_q"] = f.q
    ss["w_min"] = float(f.min_score or 0.0)
    ss["w_preset"] = preset_of(f, anchor)
    ss["w_dates"] = (f.date_from or first or anchor, f.date_to or anchor)


def _from_widgets() -> Filters:
    ss = st.session_state
    preset = ss.get("w_preset") or "all"
    dates = tuple(ss.get("w_dates") or ())
    date_from = date_to = None
    if preset != "all" and len(dates) == 2:
        date_from, date_to = dates
    elif preset != "all" and len(dates) == 1:
        date_from = dates[0]  # the analyst is halfway through picking a range
    min_score = float(ss.get("w_min") or 0.0)
    out = Filters(
        date_from=date_from,
        date_to=date_to,
        companies=tuple(ss.get("w_company") or ()),
        themes=tuple(ss.get("w_theme") or ()),
        sources=tuple(ss.get("w_source") or ()),
        q=(ss.get("w_q") or "").strip(),
        min_score=min_score if min_score > 0 else None,
    )
    if preset in PRESETS:
        # A preset is a rolling window (window=90d in the link), not the dates of today.
        return out.with_preset(preset, ss.get("_w_anchor") or date_to)
    return out


def sidebar_filters(
    *,
    companies: list[str],
    themes: list[str],
    theme_labels: dict[str, str],
    sources: list[str],
    anchor: date,
    first_day: date | None,
    show: bool = True,
) -> tuple[Filters, list[str]]:
    """Draw the filters in the sidebar; return the filters in force and URL notices.

    show=False (pages the filters do not apply to) draws nothing and keeps the URL's filters,
    so they are still in force when the analyst goes back to a page they apply to."""
    ss = st.session_state
    ss["_w_anchor"], ss["_w_first"] = anchor, first_day
    url_filters, notices = Filters.from_params(
        _current_params(), companies=companies, themes=themes, sources=sources, today=anchor
    )
    if not show:
        ss.pop("_w_dirty", None)
        return url_filters, notices
    if ss.pop("_w_dirty", False):
        f = _from_widgets()
    else:
        f = url_filters
        _seed(f, anchor, first_day)

    sb = st.sidebar
    sb.segmented_control(
        "Window",
        list(PRESET_LABELS),
        key="w_preset",
        format_func=PRESET_LABELS.get,
        on_change=_on_preset,
        help="Presets are the last 7, 30 or 90 days or the last year up to today; a link to"
        " one rolls forward (window=90d). From–to keeps fixed dates.",
    )
    low = min(d for d in (first_day, anchor, f.date_from, f.date_to) if d)
    high = max(d for d in (anchor, datetime.now(UTC).date(), f.date_from, f.date_to) if d)
    sb.date_input(
        "From – to",
        key="w_dates",
        min_value=low - timedelta(days=3650),
        max_value=high + timedelta(days=1),
        on_change=_on_dates,
        format="YYYY-MM-DD",
    )
    sb.multiselect(
        "Companies", companies, key="w_company", on_change=_mark_dirty, placeholder="All companies"
    )
    sb.multiselect(
        "Themes",
        themes,
        key="w_theme",
        on_change=_mark_dirty,
        format_func=lambda t: theme_labels.get(t, t),
        placeholder="All themes",
        help="A headline must carry at least one of the themes chosen here. On the Overview,"
        " its other themes are counted too.",
    )
    sb.multiselect(
        "Sources", sources, key="w_source", on_change=_mark_dirty, placeholder="All sources"
    )
    sb.slider(
        "Minimum theme score",
        0.0,
        1.0,
        step=0.05,
        key="w_min",
        on_change=_mark_dirty,
        help="Keep headlines whose score for a chosen theme (or any theme) reaches this.",
    )
    sb.text_input(
        "Search headlines",
        key="w_q",
        on_change=_mark_dirty,
        max_chars=200,
        placeholder="e.g. export controls",
    )
    sb.button("Reset filters", on_click=_reset, width="stretch")

    target = f.to_params()
    if _normal(target) != _current_params():
        # Only the filters' own names: the page's parameters (bound widgets such as the
        # Timeline's period) share the URL and are not ours to clear.
        for name in PARAMS:
            if name in target:
                st.query_params[name] = target[name]
            elif name in st.query_params:
                del st.query_params[name]
    # A notice stays until the filters change, so a rerun does not hide it.
    if notices:
        ss["_w_notices"] = (_normal(target), notices)
    kept = ss.get("_w_notices")
    if kept and kept[0] == _normal(target):
        notices = kept[1]
    else:
        ss.pop("_w_notices", None)
        notices = []
    return f, notices


def drill(f: Filters, **changes) -> Filters:
    """The filters narrowed to one cell/period: a drill-down never widens the view."""
    out = f
    if "company" in changes:
        out = replace(out, companies=(changes["company"],))
    if "theme" in changes:
        out = replace(out, themes=(changes["theme"],))
    if "start" in changes:
        start, end = changes["start"], changes["end"]
        lo = max(start, f.date_from) if f.date_from else start
        hi = min(end, f.date_to) if f.date_to else end
        out = out.with_dates(lo, hi)
    return out


def shown_window(ctx: Context) -> tuple[date, date]:
    """The first and last day a page shows: the filter's dates, else the data's first day
    and today (the anchor)."""
    f = ctx.filters
    last = f.date_to or max(ctx.anchor, ctx.facets.get("last_day") or ctx.anchor)
    first = f.date_from or ctx.facets.get("first_day") or last
    return min(first, last), last


STRONG_SCORE = 0.6


def strong(f: Filters) -> Filters:
    """f, keeping only headlines that score high on a theme (for 'latest high-scoring')."""
    return replace(f, min_score=max(f.min_score or 0.0, STRONG_SCORE))


def window_text(f: Filters) -> str:
    """One line describing the filters in force, as escaped markdown for page captions
    (source names and the search text come from outside)."""
    if f.date_from and f.date_to:
        when = f"{f.date_from:%d %b %Y} – {f.date_to:%d %b %Y} ({f.days} days)"
    elif f.date_from:
        when = f"From {f.date_from:%d %b %Y}"
    elif f.date_to:
        when = f"Up to {f.date_to:%d %b %Y}"
    else:
        when = "All dates"
    parts = [when]
    if f.companies:
        parts.append(", ".join(f.companies))
    if f.themes:
        ctx = st.session_state.get(CTX_KEY)
        labels = ctx.theme_labels if ctx else {}
        parts.append(" + ".join(labels.get(t, t) for t in f.themes))
    if f.sources:
        parts.append("sources: " + ", ".join(f.sources))
    if f.min_score is not None:
        parts.append(f"score ≥ {f.min_score:g}")
    if f.q:
        parts.append(f"search “{f.q}”")
    return escape_md(" · ".join(parts))
