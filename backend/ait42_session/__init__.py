"""ait42-session: AI agent sessions kept in SQLite, served to a pywebview window."""

__version__ = "0.1.0"
