"""Chart builders: pure functions from DataFrames to plotly figures, tested without Streamlit.

Heatmaps are drawn as a grid of square markers rather than ``go.Heatmap``: Streamlit only
forwards selection events for point traces, and the drill-down needs to know which cell
was clicked. Every marker carries its keys in ``customdata`` for that reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta

import pandas as pd
import plotly.graph_objects as go

from dashboard.filters import period_bounds, period_starts

# Fixed colours for the themes that ship, so a theme keeps its colour whatever else is
# declared; themes added later take the next unused colour from EXTRA in taxonomy order.
BASE_COLORS = {
    "hardware_autonomy": "#3B6EA5",
    "geopolitics": "#C8553D",
    "supply_chain": "#E0A526",
}
EXTRA_COLORS = (
    "#4E9F76",
    "#8C5FB0",
    "#2A9DB0",
    "#B5568C",
    "#7A8B3C",
    "#6B6F7A",
    "#D47F3A",
    "#335C67",
    "#A23E48",
)
OTHER_COLOR = "#9AA5B1"
# Light to dark: low risk should recede, high risk should stand out.
RISK_SCALE = [[0.0, "#F4F1EA"], [0.35, "#F2C57C"], [0.7, "#D9663B"], [1.0, "#8E1F1A"]]
VOLUME_SCALE = [[0.0, "#F1F5F9"], [0.5, "#7FA7CF"], [1.0, "#1D3F66"]]
FONT = dict(family="Source Sans Pro, Segoe UI, sans-serif", size=13, color="#1F2A36")


# After a click plotly fades every unselected marker to 20 % opacity, which made the rest of
# a heatmap unreadable: keep them readable (the picked cell is named under the grid).
KEEP_VISIBLE = dict(
    selected=dict(marker=dict(opacity=1.0)),
    unselected=dict(marker=dict(opacity=0.85)),
)


def risk_color(risk: float) -> str:
    """The RISK_SCALE colour of a risk from 0 to 100, as '#RRGGBB' (linear between stops)."""
    x = min(max(float(risk) / 100.0, 0.0), 1.0)
    for (x0, c0), (x1, c1) in zip(RISK_SCALE, RISK_SCALE[1:], strict=False):
        if x <= x1:
            t = (x - x0) / (x1 - x0)
            a = (int(c0[i : i + 2], 16) for i in (1, 3, 5))
            b = (int(c1[i : i + 2], 16) for i in (1, 3, 5))
            return "#" + "".join(f"{round(p + (q - p) * t):02X}" for p, q in zip(a, b, strict=True))
    return RISK_SCALE[-1][1]


def risk_css(risk: object) -> str:
    """CSS for a table cell holding a risk (0-100): its colour, with light text on dark
    cells; nothing for an empty (NaN) cell."""
    try:
        value = float(risk)
    except (TypeError, ValueError):
        return ""
    if value != value:
        return ""
    ink = "#FFFFFF" if value >= 60 else "#1F2A36"
    return f"background-color: {risk_color(value)}; color: {ink}"


def theme_colors(theme_ids: Iterable[str]) -> dict[str, str]:
    """One colour per theme id, stable across pages for a given taxonomy."""
    ids = list(dict.fromkeys(theme_ids))
    out = {t: BASE_COLORS[t] for t in ids if t in BASE_COLORS}
    spare = [c for c in EXTRA_COLORS if c not in out.values()]
    for i, t in enumerate(t for t in ids if t not in out):
        out[t] = spare[i % len(spare)] if spare else OTHER_COLOR
    return out


def _label(labels: Mapping[str, str] | None, key: str) -> str:
    # Keys without a label are shown as stored: company names are already the taxonomy's
    # display names ("SK hynix", "TSMC"), and capitalising them would misspell them.
    return (labels or {}).get(key, key)


def _layout(fig: go.Figure, title: str, *, height: int, x_title: str, y_title: str) -> go.Figure:
    fig.update_layout(
        title=dict(text=title, x=0, xanchor="left", font=dict(size=16)),
        font=FONT,
        height=height,
        margin=dict(l=10, r=10, t=60, b=10),
        plot_bgcolor="#FFFFFF",
        paper_bgcolor="rgba(0,0,0,0)",
        hoverlabel=dict(bgcolor="#FFFFFF", font_size=13),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1, title=None),
        clickmode="event+select",
    )
    fig.update_xaxes(title_text=x_title, showgrid=False)
    fig.update_yaxes(title_text=y_title, showgrid=False)
    return fig


def empty_figure(message: str, *, title: str = "") -> go.Figure:
    """A figure that says why it is empty instead of showing bare axes."""
    fig = go.Figure()
    fig.add_annotation(
        text=message,
        showarrow=False,
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        font=dict(size=14, color="#5B6776"),
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, title, height=220, x_title="", y_title="")


def _cell_size(n_cols: int, n_rows: int, width: int = 900) -> int:
    # Marker size is in pixels; fit the columns into a typical main-area width.
    return int(max(6, min(44, (width - 160) / max(n_cols, 1) * 0.92)))


def risk_grid(
    cells: pd.DataFrame,
    *,
    theme_labels: Mapping[str, str] | None = None,
    themes: Sequence[str] | None = None,
    companies: Sequence[str] | None = None,
    title: str = "Risk by company and theme",
) -> go.Figure:
    """Company x theme risk (0-100) as a clickable grid.

    cells: company, theme, n, mean_score, risk. Companies are drawn top to bottom in the
    order of ``companies`` (the Overview's: overall risk), else by their highest cell risk;
    themes by the taxonomy order given in ``themes``.
    """
    if cells is None or cells.empty:
        return empty_figure("No company carries a theme in this window.", title=title)
    df = cells.copy()
    order = list(themes) if themes else []
    order += [t for t in dict.fromkeys(df["theme"]) if t not in order]
    df = df[df["theme"].isin(order)]
    ranked = df.groupby("company")["risk"].max().sort_values(ascending=False).index.tolist()
    if companies:
        present = set(ranked)
        ranked = [c for c in companies if c in present] + [
            c for c in ranked if c not in set(companies)
        ]
    companies = ranked[::-1]  # plotly draws the first category at the bottom
    x_labels = [_label(theme_labels, t) for t in order]
    df["theme_label"] = [_label(theme_labels, t) for t in df["theme"]]
    size = _cell_size(len(order), len(companies), width=700)
    height = max(260, 34 * len(companies) + 140)
    fig = go.Figure(
        go.Scatter(
            x=df["theme_label"],
            y=df["company"],
            mode="markers+text",
            marker=dict(
                symbol="square",
                size=min(size, 30),
                color=df["risk"],
                cmin=0,
                cmax=100,
                colorscale=RISK_SCALE,
                line=dict(width=1, color="#FFFFFF"),
                colorbar=dict(title=dict(text="Risk<br>0-100"), thickness=12),
            ),
            text=[f"{r:.0f}" for r in df["risk"]],
            textfont=dict(size=11, color=["#FFFFFF" if r >= 60 else "#1F2A36" for r in df["risk"]]),
            customdata=df[["company", "theme", "n", "mean_score"]].to_numpy(),
            hovertemplate=(
                "<b>%{y}</b> · %{x}<br>Risk %{marker.color:.0f} / 100<br>"
                "%{customdata[2]} headlines, mean signed score %{customdata[3]:+.2f}"
                "<br>(score × direction: escalating +1, neutral +½, easing −1)"
                "<br><i>Click to list the headlines</i><extra></extra>"
            ),
            name="",
            **KEEP_VISIBLE,
        )
    )
    fig.update_xaxes(categoryorder="array", categoryarray=x_labels, side="top")
    fig.update_yaxes(categoryorder="array", categoryarray=companies)
    return _layout(fig, title, height=height, x_title="", y_title="")


def period_grid(
    matrix: pd.DataFrame,
    *,
    labels: Mapping[str, str] | None = None,
    title: str,
    key_title: str,
    period_title: str = "Period",
) -> go.Figure:
    """key x period headline counts as a clickable grid (theme x period, company x period).

    matrix: a DataFrame indexed by key with one column per period (as query.period_matrix
    returns), or long form with columns period, key, n.
    """
    long = _long_matrix(matrix)
    if long.empty or long["n"].sum() == 0:
        return empty_figure("No headlines in this window.", title=title)
    periods = sorted(long["period"].unique())
    keys = list(dict.fromkeys(long["key"]))
    long = long[long["n"] > 0].copy()
    long["label"] = [_label(labels, k) for k in long["key"]]
    size = _cell_size(len(periods), len(keys))
    height = max(240, 30 * len(keys) + 140)
    fig = go.Figure(
        go.Scatter(
            x=long["period"],
            y=long["label"],
            mode="markers",
            marker=dict(
                symbol="square",
                size=min(size, 26),
                color=long["n"],
                cmin=0,
                colorscale=VOLUME_SCALE,
                line=dict(width=0.5, color="#FFFFFF"),
                colorbar=dict(title=dict(text="Headlines"), thickness=12),
            ),
            customdata=long[["key", "period", "n"]].to_numpy(),
            **KEEP_VISIBLE,
            hovertemplate=(
                f"<b>%{{y}}</b><br>{period_title} starting %{{x}}<br>"
                "%{customdata[2]} headlines<br><i>Click to list them</i><extra></extra>"
            ),
            name="",
        )
    )
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=periods, tickangle=-45)
    fig.update_yaxes(
        categoryorder="array", categoryarray=[_label(labels, k) for k in reversed(keys)]
    )
    return _layout(fig, title, height=height, x_title=period_title, y_title=key_title)


def _long_matrix(matrix: pd.DataFrame) -> pd.DataFrame:
    if matrix is None or matrix.empty:
        return pd.DataFrame(columns=["period", "key", "n"])
    if {"period", "key", "n"} <= set(matrix.columns):
        out = matrix[["period", "key", "n"]].copy()
    else:
        wide = matrix.copy()
        wide.index.name = "key"
        out = wide.reset_index().melt(id_vars="key", var_name="period", value_name="n")
    out["period"] = out["period"].astype(str)
    out["key"] = out["key"].astype(str)
    out["n"] = pd.to_numeric(out["n"], errors="coerce").fillna(0).astype(int)
    return out


# Lines per company need more distinct colours than there are themes: twelve that stay apart
# on white (a company keeps its place in the list, so a colour is never reused on one chart).
LINE_COLORS = (
    "#1F77B4",
    "#D62728",
    "#2CA02C",
    "#FF7F0E",
    "#9467BD",
    "#8C564B",
    "#E377C2",
    "#17BECF",
    "#BCBD22",
    "#393B79",
    "#7F7F7F",
    "#AD494A",
)
PARTIAL_FILL = "rgba(59, 110, 165, 0.07)"


def fill_periods(
    data: pd.DataFrame, kind: str, window: tuple[date, date] | None = None
) -> pd.DataFrame:
    """data (period, key, n, total, share) with a row for every period of the window and
    every key, zero where nothing was published, sorted by key order then period; plus
    ``partial``: the period is only partly inside the window (its count covers fewer days).

    window: the first and last day shown (the filter's dates, else the data's span).
    """
    cols = ["period", "key", "n", "total", "share", "partial", "days"]
    if data is not None and "stories" in data.columns:
        cols.insert(3, "stories")
    if data is None or data.empty:
        return pd.DataFrame(columns=cols)
    df = data.copy()
    df["period"] = [period_bounds(p, kind)[0] for p in df["period"]]
    first, last = window or (min(df["period"]), period_bounds(max(df["period"]), kind)[1])
    periods = period_starts(first, last, kind)
    totals = df.groupby("period")["total"].max().to_dict()
    keys = list(dict.fromkeys(df["key"]))
    full = pd.MultiIndex.from_product([keys, periods], names=["key", "period"])
    counted = [c for c in ("n", "stories") if c in df.columns]
    out = df.groupby(["key", "period"])[counted].sum().reindex(full, fill_value=0).reset_index()
    for c in counted:
        out[c] = out[c].astype("int64")
    out["total"] = [int(totals.get(p, 0)) for p in out["period"]]
    out["share"] = (out["n"] / out["total"].where(out["total"] > 0)).fillna(0.0)
    spans = {p: period_bounds(p, kind) for p in periods}
    inside = {p: (min(b, last) - max(a, first)).days + 1 for p, (a, b) in spans.items()}
    out["days"] = [inside[p] for p in out["period"]]
    out["partial"] = [inside[p] < (spans[p][1] - spans[p][0]).days + 1 for p in out["period"]]
    return out[cols]


def timeline(
    data: pd.DataFrame,
    *,
    measure: str = "n",
    colors: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    period_name: str = "day",
    title: str | None = None,
    key_title: str = "Theme",
    window: tuple[date, date] | None = None,
) -> go.Figure:
    """Volume per key over time: stories (measure='stories', data needs a stories column),
    headlines (measure='n') or the share of all headlines (measure='share').

    data: period, key, n, total, share (, stories). Lines, not stacked areas: one headline can carry
    several themes and name several companies, so the series overlap. The x axis is a date
    axis holding every period of ``window`` (quiet ones as 0, see fill_periods); a period the
    window only partly covers is drawn with an open marker on a shaded band, since its count
    covers fewer days than the others.
    """
    as_share = measure == "share"
    as_stories = measure == "stories"
    what = "Share of all headlines" if as_share else "Stories" if as_stories else "Headlines"
    title = title or f"{what} per {key_title.lower()}, by {period_name}"
    if data is None or data.empty:
        return empty_figure("No headlines in this window.", title=title)
    df = fill_periods(data, period_name, window)
    df["x"] = [p.isoformat() for p in df["period"]]
    fig = go.Figure()
    colours = line_colors(list(dict.fromkeys(df["key"])), colors)
    for key, part in df.groupby("key", sort=False):
        part = part.sort_values("period")
        color = colours[key]
        y = part["share"] * 100 if as_share else part["stories"] if as_stories else part["n"]
        told = [f"{k} stories, " for k in part["stories"]] if as_stories else [""] * len(part)
        note = [
            f"<br><i>Partial {period_name}: {d} day{'s' if d != 1 else ''} in the window</i>"
            if p
            else ""
            for p, d in zip(part["partial"], part["days"], strict=True)
        ]
        fig.add_trace(
            go.Scatter(
                x=part["x"],
                y=y,
                mode="lines+markers",
                name=_label(labels, key),
                line=dict(color=color, width=2),
                marker=dict(
                    size=[9 if p else 6 for p in part["partial"]],
                    color=color,
                    symbol=["circle-open" if p else "circle" for p in part["partial"]],
                ),
                customdata=list(
                    zip(part["key"], part["x"], part["n"], part["total"], note, told, strict=True)
                ),
                hovertemplate=(
                    f"<b>{_escape(_label(labels, key))}</b><br>{period_name.capitalize()} "
                    "starting %{x|%d %b %Y}<br>%{customdata[5]}"
                    "%{customdata[2]} of %{customdata[3]} headlines"
                    + (" (%{y:.1f}%)" if as_share else "")
                    + "%{customdata[4]}<br><i>Click to list them</i><extra></extra>"
                ),
            )
        )
    for start in sorted({p for p, q in zip(df["period"], df["partial"], strict=True) if q}):
        lo, hi = period_bounds(start, period_name)
        fig.add_vrect(
            x0=lo.isoformat(),
            x1=(hi + timedelta(days=1)).isoformat(),
            fillcolor=PARTIAL_FILL,
            line_width=0,
            layer="below",
            annotation_text=f"partial {period_name}",
            annotation_position="bottom left",
            annotation_font_size=10,
        )
    fig.update_xaxes(type="date", tickformat="%d %b %Y" if period_name != "month" else "%b %Y")
    y_title = "% of all headlines" if as_share else "Stories" if as_stories else "Headlines"
    fig = _layout(
        fig, title, height=380, x_title=f"{period_name.capitalize()} starting", y_title=y_title
    )
    fig.update_yaxes(rangemode="tozero", showgrid=True, gridcolor="#E6EAEE")
    return fig


def line_colors(keys: Sequence[str], fixed: Mapping[str, str] | None = None) -> dict[str, str]:
    """A distinct colour for every key shown: its fixed colour (a theme's) when it has one,
    else the next unused one of LINE_COLORS; only past len(LINE_COLORS) keys does a colour
    repeat."""
    fixed = dict(fixed or {})
    out = {k: fixed[k] for k in keys if k in fixed}
    spare = [c for c in (*LINE_COLORS, *EXTRA_COLORS) if c not in out.values()]
    for i, k in enumerate(k for k in keys if k not in out):
        out[k] = spare[i % len(spare)]
    return out


def _escape(text: str) -> str:
    # Plotly renders a subset of HTML in hover templates; labels come from the taxonomy.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def pct_change(current: float, previous: float | None) -> str | None:
    """'+25%' style change for KPI deltas; None when there is nothing to compare with."""
    if previous is None:
        return None
    if previous == 0:
        return "new" if current else "±0%"
    change = (current - previous) / previous * 100
    return "±0%" if round(change) == 0 else f"{change:+.0f}%"


def pts_change(share: float, before: float | None) -> str | None:
    """'+3 pts' style change of a share in percent; '±0 pts' when it rounds to nothing."""
    if before is None:
        return None
    change = share - before
    return "±0 pts" if round(change) == 0 else f"{change:+.0f} pts"


def delta_arrow(delta: str | None) -> str:
    """st.metric's delta_arrow for a delta text: no arrow for no change ('±0…')."""
    return "off" if delta is None or delta.startswith("±") else "auto"


LOW_COVERAGE_FILL = "rgba(120, 120, 120, 0.16)"


def low_coverage_periods(periods: Iterable[str], low_days: Iterable[str], kind: str) -> list[str]:
    """The periods (day, week or month starts, as on the timeline) holding a low-coverage day."""
    low = set(low_days)
    out = []
    for period in periods:
        first, last = period_bounds(period, kind)
        day = first
        while day <= last and day.isoformat() not in low:
            day += timedelta(days=1)
        if day <= last:
            out.append(str(period))
    return out


def mark_low_coverage(fig: go.Figure, low: Iterable[str], kind: str) -> go.Figure:
    """Shade the low-coverage periods (their starts) of a date-axis chart: fewer than half of
    the usual feeds answered then, so its counts undercount (a silent feed is not calm news)."""
    spans = sorted(period_bounds(p, kind) for p in set(low))
    # Neighbouring periods make one band with one label, not labels printed over each other.
    runs: list[list[date]] = []
    for lo, hi in spans:
        if runs and lo == runs[-1][1] + timedelta(days=1):
            runs[-1][1] = hi
        else:
            runs.append([lo, hi])
    for lo, hi in runs:
        fig.add_vrect(
            x0=lo.isoformat(),
            x1=(hi + timedelta(days=1)).isoformat(),
            fillcolor=LOW_COVERAGE_FILL,
            line_width=0,
            layer="below",
            annotation_text="low coverage",
            annotation_position="top left",
            annotation_font_size=10,
        )
    return fig
