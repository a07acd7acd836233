"""Ingest: feed lists and sources, fetch, parse and normalise, then hand each feed to the store."""

from dashboard.ingest.pipeline import Ingestor, IngestReport, ingest

__all__ = ["IngestReport", "Ingestor", "ingest"]
