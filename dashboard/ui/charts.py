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
    return (labels or {}).get(key, key.replace("_", " ").capitalize())


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
    title: str = "Risk by company and theme",
) -> go.Figure:
    """Company x theme risk (0-100) as a clickable grid.

    cells: company, theme, n, mean_score, risk. Companies are ordered by their highest
    risk (highest at the top), themes by the taxonomy order given in ``themes``.
    """
    if cells is None or cells.empty:
        return empty_figure("No company carries a theme in this window.", title=title)
    df = cells.copy()
    order = list(themes) if themes else []
    order += [t for t in dict.fromkeys(df["theme"]) if t not in order]
    df = df[df["theme"].isin(order)]
    companies = df.groupby("company")["risk"].max().sort_values(ascending=True).index.tolist()
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
                "%{customdata[2]} headlines, mean theme score %{customdata[3]:.2f}"
                "<br><i>Click to list the headlines</i><extra></extra>"
            ),
            name="",
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


def timeline(
    data: pd.DataFrame,
    *,
    measure: str = "n",
    colors: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    period_name: str = "day",
    title: str | None = None,
    key_title: str = "Theme",
) -> go.Figure:
    """Headline volume per key over time, as counts (measure='n') or share of all headlines.

    data: period, key, n, total, share. Lines, not stacked areas: one headline can carry
    several themes and name several companies, so the series overlap.
    """
    as_share = measure == "share"
    what = "Share of all headlines" if as_share else "Headlines"
    title = title or f"{what} per {key_title.lower()}, by {period_name}"
    if data is None or data.empty:
        return empty_figure("No headlines in this window.", title=title)
    df = data.copy()
    df["period"] = df["period"].astype(str)
    palette = dict(colors or {})
    fig = go.Figure()
    extra = [c for c in EXTRA_COLORS if c not in palette.values()]
    for i, (key, part) in enumerate(df.groupby("key", sort=False)):
        part = part.sort_values("period")
        color = palette.get(key) or (extra[i % len(extra)] if extra else OTHER_COLOR)
        y = part["share"] * 100 if as_share else part["n"]
        fig.add_trace(
            go.Scatter(
                x=part["period"],
                y=y,
                mode="lines+markers",
                name=_label(labels, key),
                line=dict(color=color, width=2),
                marker=dict(size=6, color=color),
                customdata=part[["key", "period", "n", "total"]].to_numpy(),
                hovertemplate=(
                    f"<b>{_escape(_label(labels, key))}</b><br>{period_name.capitalize()} "
                    "starting %{x}<br>%{customdata[2]} of %{customdata[3]} headlines"
                    + (" (%{y:.1f}%)" if as_share else "")
                    + "<br><i>Click to list them</i><extra></extra>"
                ),
            )
        )
    fig.update_xaxes(type="category")
    y_title = "% of all headlines" if as_share else "Headlines"
    fig = _layout(
        fig, title, height=380, x_title=f"{period_name.capitalize()} starting", y_title=y_title
    )
    fig.update_yaxes(rangemode="tozero", showgrid=True, gridcolor="#E6EAEE")
    return fig


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
    return f"{change:+.0f}%"


LOW_COVERAGE_FILL = "rgba(120, 120, 120, 0.16)"


def low_coverage_periods(periods: Iterable[str], low_days: Iterable[str], kind: str) -> list[str]:
    """The periods (day, week or month starts, as on the timeline) holding a low-coverage day."""
    low = set(low_days)
    out = []
    for period in periods:
        first = date.fromisoformat(str(period)[:10])
        last = first
        if kind == "week":
            last = first + timedelta(days=6)
        elif kind == "month":
            last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        day = first
        while day <= last and day.isoformat() not in low:
            day += timedelta(days=1)
        if day <= last:
            out.append(str(period))
    return out


def mark_low_coverage(fig: go.Figure, periods: Sequence[str], low: Iterable[str]) -> go.Figure:
    """Shade the low-coverage periods of a category-axis chart: fewer than half of the usual
    feeds answered then, so its counts undercount (a silent feed is not calm news)."""
    order = sorted({str(p) for p in periods})
    fig.update_xaxes(categoryorder="array", categoryarray=order)
    marked = sorted(order.index(p) for p in set(low) if p in order)
    # Neighbouring periods make one band with one label, not labels printed over each other.
    runs: list[list[int]] = []
    for i in marked:
        if runs and i == runs[-1][1] + 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    for first, last in runs:
        fig.add_vrect(
            x0=first - 0.5,
            x1=last + 0.5,
            fillcolor=LOW_COVERAGE_FILL,
            line_width=0,
            layer="below",
            annotation_text="low coverage",
            annotation_position="top left",
            annotation_font_size=10,
        )
    return fig
