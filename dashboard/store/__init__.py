"""Everything that speaks SQL: the schema (schema), writes (writes) and the dashboard's reads
(queries, rows, sql)."""

from dashboard.store.schema import SCHEMA_VERSION
from dashboard.store.writes import Store, WriteResult, open_store

__all__ = ["SCHEMA_VERSION", "Store", "WriteResult", "open_store"]
