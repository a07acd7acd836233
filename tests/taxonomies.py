"""Small taxonomies for tests, written once."""

# One taxonomy with round numbers, so scores can be derived by hand.
ROUND = """
[scoring]
summary_factor = 0.5

[themes.trade]
label = "Trade"
threshold = 0.7
exclude = ["trade show"]
[themes.trade.terms]
"export control" = 0.6
"export" = 0.2
"trade" = 0.5
"withhold ... model" = 0.4
"domestic|local chip|accelerator" = 0.3

[themes.plants]
label = "Plants"
[themes.plants.terms]
"fab" = 0.5

[companies.Widgetco]
aliases = ["Widget Company", "Gizmo"]
tickers = ["WDG"]
case_sensitive = ["Gizmo"]
needs_context = ["Gizmo"]
context = ["chip"]
not_before = ["toy"]
"""


def round_tagger(folder):
    """A Tagger over ROUND, its file written into folder."""
    from dashboard.tagging.tagger import Tagger
    from dashboard.tagging.taxonomy import load_taxonomy

    path = folder / "taxonomy.toml"
    path.write_text(ROUND, encoding="utf-8")
    return Tagger(load_taxonomy(path))
