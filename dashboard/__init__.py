"""Chipwatch: watch the news about the AI-hardware landscape and see where risk is building."""

__version__ = "0.1.0"
