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
    score_cols = [f"{t}_score" for t in theme_ids if f"{t}_score" in df.columns]
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
    for col in score_cols:
        out[labels.get(col[: -len("_score")], col[: -len("_score")])] = pd.to_numeric(
            df[col], errors="coerce"
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
