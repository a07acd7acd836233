"""The Streamlit dashboard: shared shell, cached data access, chart builders, pages."""
