"""Headline rows prepared for display: pure pandas, tested without Streamlit.

The title is shown as a link through st.column_config.LinkColumn, whose display text can only
come from the link itself (a regex capture). So the link value is the article URL with the
title appended as a URL-encoded fragment (``#cw=...``), and the column's display_text regex
captures and decodes it. The title is drawn as text on the table's canvas, never as HTML.
Only http(s) article URLs become links; anything else keeps the title but no destination.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import quote, urlsplit

import pandas as pd

from dashboard.store.queries import score_column

TITLE_FRAGMENT = "#cw="
TITLE_REGEX = "#cw=(.*)$"


def safe_url(url: object) -> str | None:
    """The URL when it is http(s) with a host, else None."""
    if not isinstance(url, str) or not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url.strip()


def title_link(url: object, title: str) -> str:
    """The LinkColumn value for a headline: its safe URL (or an in-page anchor) + title."""
    base = safe_url(url)
    if base is not None:
        base = base.split("#", 1)[0]
    # No usable link: a bare fragment keeps the title visible and can go nowhere else.
    return (base or "") + TITLE_FRAGMENT + quote(title or "(untitled)", safe="")


def display_frame(
    df: pd.DataFrame,
    theme_ids: Sequence[str],
    labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """queries.headlines() rows -> the columns the analyst reads, in reading order."""
    labels = labels or {}
    out = pd.DataFrame(
        {
            "Published": pd.to_datetime(
                df["published_at"], utc=True, errors="coerce"
            ).dt.tz_localize(None),
            "Title": [title_link(u, t) for u, t in zip(df["url"], df["title"], strict=True)],
            "Source": df["source"].astype(str),
            "Companies": df["companies"].fillna("").astype(str),
        },
        index=df.index,
    )
    for theme in theme_ids:
        if score_column(theme) in df.columns:
            out[labels.get(theme, theme)] = pd.to_numeric(
                df[score_column(theme)], errors="coerce"
            ).fillna(0.0)
    out["Evidence"] = [evidence_text(e, labels) for e in df["evidence"].fillna("")]
    if "is_demo" in df.columns and df["is_demo"].any():
        out["Synthetic"] = df["is_demo"].astype(bool)
    return out.reset_index(drop=True)


def evidence_text(text: str, labels: Mapping[str, str]) -> str:
    # queries writes "theme_id: term (where), ...; ..."; show the theme's label instead.
    parts = []
    for part in str(text).split("; "):
        theme, sep, rest = part.partition(": ")
        parts.append(f"{labels.get(theme, theme)}: {rest}" if sep else part)
    return "; ".join(p for p in parts if p)


def score_columns(frame: pd.DataFrame) -> list[str]:
    fixed = {"Published", "Title", "Source", "Companies", "Evidence", "Synthetic"}
    fixed |= {"First seen", "Outlets", "Headlines", "Direction"}  # story_frame's own
    return [c for c in frame.columns if c not in fixed]


def escape_md(text: str) -> str:
    """Text from data shown through st.markdown must not become markup."""
    out = []
    for ch in str(text):
        if ch in "\\`*_{}[]()#+-.!|<>~$&:":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def explainer(doc: str) -> list[tuple[str, str]]:
    """A module docstring's 'In plain words' part as ("text" | "code", block) pairs, with
    prose re-flowed (the docstring's hard wraps look broken in a narrow column)."""
    import textwrap

    body = doc.split("In plain words", 1)[-1]
    body = body.split("\n\n\nThe formula works")[0].split("\nThe formula works")[0]
    blocks = []
    for para in textwrap.dedent(body).strip("\n").split("\n\n"):  # prose now at column 0
        lines = para.splitlines()
        if not lines:
            continue
        # The docstring indents formulas further than prose.
        indent = min(len(x) - len(x.lstrip()) for x in lines if x.strip())
        if indent > 0:
            blocks.append(("code", textwrap.dedent(para).strip()))
        else:
            blocks.append(("text", " ".join(x.strip() for x in lines)))
    return blocks


def company_table(
    risk: pd.DataFrame,
    cells: pd.DataFrame,
    trend: pd.DataFrame,
    themes: Sequence[str],
    labels: Mapping[str, str] | None = None,
    *,
    top: int = 12,
) -> pd.DataFrame:
    """The riskiest companies, one row each: overall risk, risk per theme (NaN where the
    company carries no headline of that theme), headline count, and headlines per period.

    risk: queries.company_risk rows (riskiest first); cells: queries.risk_cells rows;
    trend: queries.timeline(by="company") rows, whose periods span the window."""
    labels = labels or {}
    head = risk.head(top)
    out = pd.DataFrame({"Company": head["company"].astype(str), "Risk": head["risk"]})
    by_cell = cells.set_index(["company", "theme"])["risk"].to_dict()
    for t in themes:
        out[labels.get(t, t)] = [by_cell.get((c, t), float("nan")) for c in head["company"]]
    out["Headlines"] = head["n"].astype("int64")
    out["Trend"] = _series_lists(trend, out["Company"])
    return out.reset_index(drop=True)


def theme_table(
    trend: pd.DataFrame,
    counts: Mapping[str, int],
    total: int,
    themes: Sequence[str],
    labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One row per theme: headlines carrying it, their share of all headlines (percent),
    and headlines per period. trend: queries.timeline(by="theme") rows."""
    labels = labels or {}
    n = [int(counts.get(t, 0)) for t in themes]
    return pd.DataFrame(
        {
            "Theme": [labels.get(t, t) for t in themes],
            "Headlines": n,
            "Share": [x / total * 100 if total else 0.0 for x in n],
            "Trend": _series_lists(trend, themes),
        }
    )


def _series_lists(trend: pd.DataFrame, keys: Sequence[str]) -> list[list[int]]:
    # Every key gets a value for every period of the window, zero where it had no headline,
    # so the sparklines of one table share their x axis.
    if trend is None or trend.empty:
        return [[] for _ in keys]
    wide = trend.pivot_table(index="key", columns="period", values="n", aggfunc="sum")
    wide = wide.reindex(index=list(keys), columns=sorted(trend["period"].unique()))
    return [[int(v) for v in row] for row in wide.fillna(0).to_numpy()]


ARROWS = {1: "▲", -1: "▼", 0: ""}


def story_frame(
    df: pd.DataFrame, theme_ids: Sequence[str], labels: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """storylist.page() rows -> the Headlines page's story table: first seen, the lead's
    title (link), outlets, matching of all headlines, companies, ▲ escalating / ▼ easing per
    theme (Direction), then each theme's highest score."""
    labels = labels or {}
    out = pd.DataFrame(
        {
            "First seen": pd.to_datetime(
                df["first_seen"], utc=True, errors="coerce"
            ).dt.tz_localize(None),
            "Title": [title_link(u, t) for u, t in zip(df["url"], df["title"], strict=True)],
            "Outlets": df["outlets"].astype("int64"),
            "Headlines": [
                f"{m} of {n}" if m != n else str(n)
                for m, n in zip(df["matching"], df["headlines"], strict=True)
            ],
            "Companies": df["companies"].fillna("").astype(str),
        },
        index=df.index,
    )
    # Direction beside the companies, before the score bars: what explains the row stays in
    # view at 1400 px.
    out["Direction"] = [
        ", ".join(
            f"{ARROWS[int(row[f'{t}_direction'])]} {labels.get(t, t)}"
            for t in theme_ids
            if f"{t}_direction" in df.columns
            and int(row[f"{t}_direction"])
            and row[f"{t}_score"] > 0
        )
        for _i, row in df.iterrows()
    ]
    for theme in theme_ids:
        if f"{theme}_score" in df.columns:
            out[labels.get(theme, theme)] = df[f"{theme}_score"].astype(float)
    return out.reset_index(drop=True)
