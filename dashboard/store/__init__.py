"""Everything that speaks SQL: the schema and writes (db) and the dashboard's reads (queries)."""

from dashboard.store.db import SCHEMA_VERSION, Store, WriteResult, open_store

__all__ = ["SCHEMA_VERSION", "Store", "WriteResult", "open_store"]
