"""Analysts' corrections on a story or a headline: what is wrong, saved with who and when,
and the corrections already given, each with an undo. Drawn under every story that opens
(Headlines, drill-downs, What's rising) for users who may give feedback; a viewer sees only
the corrections. The write goes through ui/actions.py, which checks the role again."""

from __future__ import annotations

import streamlit as st

from dashboard.errors import ChipwatchError
from dashboard.models import Correction
from dashboard.tagging.corrections import DIRECTION_WORDS, describe
from dashboard.ui import actions, data
from dashboard.ui.shell import Context
from dashboard.ui.tables import escape_md

WHAT = {
    "not_relevant": "Not relevant (not AI-hardware news)",
    "company_remove": "Wrong company: remove one",
    "company_add": "Missing company: add one",
    "theme_remove": "Wrong theme: remove one",
    "theme_add": "Missing theme: add one",
    "direction": "Wrong direction",
}


@st.cache_resource(show_spinner=False)
def _tagger(version: str, _taxonomy):
    from dashboard.tagging.tagger import Tagger

    return Tagger(_taxonomy)


def tagger(ctx: Context):
    return _tagger(ctx.taxonomy.version, ctx.taxonomy) if ctx.taxonomy else None


def _split(values) -> list[str]:
    out: list[str] = []
    for v in values:
        out += [p for p in str(v or "").split(";") if p and p not in out]
    return out


def panel(ctx: Context, members, *, story_id: int, key: str) -> None:
    """The correction form and the standing corrections of one story (story_id > 0) or of
    the one headline without a story (story_id < 0)."""
    story = story_id if story_id > 0 else None
    headline = None if story else str(members["id"].iloc[0])
    given = data.corrections(ctx.db, ctx.version, story=story, headline=headline)
    if flash := st.session_state.pop(f"{key}_flash", None):
        st.success(flash)
    can = ctx.user.can("feedback") and ctx.taxonomy is not None
    if not given and not can:
        return
    with st.expander(
        f"Correct the tags ({len(given)} correction{'s' * (len(given) != 1)} so far)"
        if given
        else "Correct the tags",
        icon=":material/rate_review:",
    ):
        if can:
            _form(ctx, members, story=story, headline=headline, key=key)
        for act in given:
            _act(ctx, act, can=can, key=key)


def _form(ctx: Context, members, *, story, headline, key: str) -> None:
    companies, themes = _split(members["companies"]), _split(members["themes"])
    what = st.selectbox("What is wrong", list(WHAT), format_func=WHAT.get, key=f"{key}_what")
    if story and len(members) > 1:
        ids = ["*", *members["id"].astype(str)]
        titles = dict(zip(members["id"].astype(str), members["title"].astype(str), strict=True))
        target = st.selectbox(
            "Applies to",
            ids,
            format_func=lambda i: "the whole story" if i == "*" else f"only: {titles[i][:90]}",
            key=f"{key}_target",
        )
        if target != "*":
            story, headline = None, target
    kind, pick, value = "relevance", "", "not_relevant"
    if what.startswith("company"):
        options = (
            companies
            if what == "company_remove"
            else [c for c in ctx.taxonomy.company_names if c not in companies]
        )
        kind, value = "company", what.split("_")[1]
        pick = st.selectbox("Company", options, key=f"{key}_company")
    elif what.startswith("theme") or what == "direction":
        options = themes if what != "theme_add" else [t for t in ctx.theme_ids if t not in themes]
        pick = st.selectbox("Theme", options, format_func=ctx.label, key=f"{key}_theme")
        kind, value = "theme", what.split("_")[-1]
        if what == "direction":
            kind = "direction"
            value = st.radio(
                "It is",
                ["1", "0", "-1"],
                format_func=DIRECTION_WORDS.get,
                horizontal=True,
                key=f"{key}_dir",
            )
    comment = st.text_input("Comment (optional)", max_chars=500, key=f"{key}_comment")
    if st.button(
        "Save correction",
        icon=":material/check:",
        key=f"{key}_save",
        disabled=kind != "relevance" and not pick,
    ):
        try:
            done = actions.give_feedback(
                ctx.db,
                tagger(ctx),
                kind,
                pick or "",
                value,
                user=ctx.user,
                story=story,
                headline=headline,
                comment=comment,
            )
        except ChipwatchError as exc:
            st.error(str(exc))
            return
        st.session_state[f"{key}_flash"] = (
            "You had said just this already."
            if done.feedback_id is None
            else f"Saved: {done.headlines} headline{'s' * (done.headlines != 1)},"
            f" {done.changed} re-tagged. Every page counts it from now on."
        )
        st.rerun()


def _act(ctx: Context, act: dict, *, can: bool, key: str) -> None:
    c = Correction(act["kind"], act["key"], act["value"])
    text = (
        f"**{escape_md(describe(c))}** · {escape_md(act['author'])} ·"
        f" {act['created_at'][:16].replace('T', ' ')} UTC · {act['headlines']} headline"
        f"{'s' * (act['headlines'] != 1)}"
    )
    if act["retracted_at"]:
        text = f"~~{text}~~ · undone by {escape_md(act['retracted_by'] or '?')}"
    left, right = st.columns([5, 1])
    with left:
        st.markdown(text)
        if act["comment"]:
            st.text(act["comment"])  # as text: never markdown, never HTML
    if can and not act["retracted_at"]:
        with right:
            if st.button("Undo", key=f"{key}_undo_{act['id']}", icon=":material/undo:"):
                try:
                    actions.retract_feedback(ctx.db, tagger(ctx), act["id"], user=ctx.user)
                except ChipwatchError as exc:
                    st.error(str(exc))
                    return
                st.session_state[f"{key}_flash"] = f"Undone: {describe(c)}."
                st.rerun()
