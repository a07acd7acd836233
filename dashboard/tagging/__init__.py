"""Tagging: the taxonomy, the tagger (companies and theme scores with evidence), its
evaluation, and re-scoring stored headlines after the taxonomy changes."""
