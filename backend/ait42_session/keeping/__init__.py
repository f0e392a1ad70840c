"""Keeping and carrying sessions: the trash and archive, export (JSON bundle,
Markdown, HTML) and bundle import.

May import ``store`` and ``shape``.
"""
