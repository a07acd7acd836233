"""Pure builders for the Signals page and the Overview's signal block: a signal's name, its
headline link, its sparkline with the baseline, its rows as a table and a CSV."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pandas as pd
import plotly.graph_objects as go

from dashboard.signals.detect import BASELINE, WINDOW, Signal
from dashboard.signals.digest import LEVEL_COLOURS

LEVEL_ICONS = {"high": "🔴", "elevated": "🟠", "watch": "🟡"}


def headlines_params(signal: Signal) -> dict[str, str]:
    """The Headlines page's filters for the signal's series and window."""
    end = signal.ended or signal.as_of
    params = {"from": (end - timedelta(days=WINDOW - 1)).isoformat(), "to": end.isoformat()}
    if signal.company:
        params["company"] = signal.company
    if signal.theme:
        params["theme"] = signal.theme
    return params


def headlines_link(signal: Signal) -> str:
    return "/headlines?" + urlencode(headlines_params(signal))


def sparkline(signal: Signal) -> go.Figure:
    """Escalating stories a day over the baseline and the window, the normal as a dashed
    line, the window shaded."""
    end = signal.ended or signal.as_of
    days = [end - timedelta(days=len(signal.series) - 1 - i) for i in range(len(signal.series))]
    colour = LEVEL_COLOURS.get(signal.level, "#555")
    fig = go.Figure(
        go.Bar(
            x=days,
            y=signal.series,
            marker_color=[colour if i >= BASELINE else "#9aa5b1" for i in range(len(days))],
            hovertemplate="%{x|%d %b}: %{y} stories<extra></extra>",
        )
    )
    fig.add_hline(
        y=signal.baseline,
        line_dash="dash",
        line_color="#333",
        annotation_text=f"normal {signal.baseline:.2f}/day",
        annotation_position="top left",
    )
    fig.update_layout(
        height=130,
        margin=dict(l=0, r=0, t=18, b=0),
        showlegend=False,
        xaxis=dict(type="date", tickformat="%d %b"),
        yaxis=dict(title=None, rangemode="tozero", dtick=1 if max(signal.series) < 6 else None),
        bargap=0.15,
    )
    return fig


def signals_frame(signals: list[Signal], labels: dict[str, str]) -> pd.DataFrame:
    """One row a signal, as on screen and in its CSV."""
    return pd.DataFrame(
        [
            {
                "series": s.name(labels),
                "company": s.company or "",
                "theme": s.theme or "",
                "level": s.level,
                "escalating_stories_3d": s.stories,
                "outlets": s.outlets,
                "normal_stories_3d": round(s.expected, 2),
                "since": s.since.isoformat(),
                "ended": s.ended.isoformat() if s.ended else "",
                "low_coverage": s.low_coverage,
                "story_ids": " ".join(map(str, s.story_ids)),
            }
            for s in signals
        ],
        columns=[
            "series",
            "company",
            "theme",
            "level",
            "escalating_stories_3d",
            "outlets",
            "normal_stories_3d",
            "since",
            "ended",
            "low_coverage",
            "story_ids",
        ],
    )
