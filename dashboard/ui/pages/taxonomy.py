"""Taxonomy: the themes, terms, weights and companies in force; try a headline against them."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.models import evidence_terms
from dashboard.ui import data, shell
from dashboard.ui.correct import tagger

ctx = shell.context()
st.title("Taxonomy")
tax = ctx.taxonomy
if tax is None:
    st.error(f"The taxonomy could not be loaded: {ctx.taxonomy_error}")
    st.stop()
st.caption(
    f"From `{tax.path or 'data/taxonomy.toml'}` · version {tax.version}. Edit the file, "
    "then run `chipwatch retag` so stored headlines follow it."
)

stale = data.stale_tags(ctx.db, ctx.version, tax.version)
if stale:
    st.warning(
        f"{stale:,} stored headlines were tagged with another version of the taxonomy. "
        "Run `chipwatch retag` to bring them up to date.",
        icon=":material/update:",
    )

st.subheader("Try a headline")
a, b = st.columns([3, 2], gap="large")
with a:
    title = st.text_input(
        "Headline",
        key="tx_title",
        max_chars=500,
        placeholder="US tightens export controls on Nvidia H20 shipments",
    )
    summary = st.text_area("Summary (optional)", key="tx_summary", max_chars=2000, height=90)
if title or summary:
    from dashboard.tagging.tagger import Tagger

    tags = Tagger(tax).tag(title, summary)
    with b:
        st.markdown("**Companies**")
        st.text(", ".join(m.name for m in tags.companies) or "(none)")
    rows = []
    for theme in tax.themes:
        ev = tags.evidence.get(theme.id, ())
        rows.append(
            {
                "Theme": theme.label,
                "Score": tags.scores.get(theme.id, 0.0),
                "Carried": theme.id in tags.themes,
                "Threshold": theme.threshold,
                "Evidence": evidence_terms([(e.term, e.where, e.weight) for e in ev], weights=True),
            }
        )
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        key="tx_result",
        column_config={
            "Score": st.column_config.ProgressColumn(min_value=0.0, max_value=1.0, format="%.2f"),
            "Carried": st.column_config.CheckboxColumn(
                help="The score reaches the theme's threshold."
            ),
        },
    )

st.subheader("Most corrected")
notes = data.corrected_terms(ctx.db, ctx.version, tax.version, tagger(ctx))
if not notes:
    st.caption(
        "No analyst has corrected a tag yet. Corrections given on any story (Headlines,"
        " drill-downs, What's rising) are listed here by the term behind the tag."
    )
else:
    st.caption(
        "The terms behind the tags analysts corrected, most corrected first: a term that"
        " keeps making a wrong tag wants a lower weight (or a case rule); '—' means the tagger"
        " found nothing and a term is missing. `chipwatch feedback export` writes these"
        " headlines as labelled rows."
    )
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Term": n.term,
                    "Tag": ctx.label(n.tag),
                    "Correction": n.correction,
                    "Headlines": n.count,
                    "Example": n.example,
                }
                for n in notes
            ]
        ),
        hide_index=True,
        width="stretch",
        key="tx_corrected",
    )

st.subheader("Themes")
for theme in tax.themes:
    color = ctx.colors.get(theme.id, "#888")
    with st.expander(
        f"{theme.label} · {len(theme.terms)} terms · threshold {theme.threshold:g}",
        icon=":material/label:",
    ):
        st.text(theme.description)
        st.caption(f"id `{theme.id}` · chart colour {color}")
        terms = pd.DataFrame([(t.text, t.weight) for t in theme.terms], columns=["Term", "Weight"])
        st.dataframe(
            terms.sort_values("Weight", ascending=False),
            hide_index=True,
            width="stretch",
            key=f"tx_terms_{theme.id}",
            column_config={
                "Weight": st.column_config.ProgressColumn(
                    min_value=0.0, max_value=1.0, format="%.2f"
                )
            },
        )
        if theme.exclude:
            st.caption("Never evidence: " + ", ".join(theme.exclude))

st.subheader("Companies")
st.dataframe(
    pd.DataFrame(
        [
            {
                "Company": c.name,
                "Aliases": ", ".join(c.aliases[1:]),
                "Tickers": ", ".join(c.tickers),
                "Exact case only": ", ".join(c.case_sensitive),
                "Needs context": ", ".join(c.needs_context),
            }
            for c in tax.companies
        ]
    ),
    hide_index=True,
    width="stretch",
    key="tx_companies",
)
