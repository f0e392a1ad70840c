"""What is derived from the sessions: the catch-up from the change log, the
search index and ``search_sessions``, the insights, the live change feed.

A command writes only the sessions and one change-log line (``store``); this
layer brings derived data up to date afterwards (``catchup``) and answers the
reads of it. May import ``store`` and ``shape``.
"""
