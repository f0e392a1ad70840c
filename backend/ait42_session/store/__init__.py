"""The store: connections and transactions, migrations, backups of the file,
the session SQL (rows in and out, the board's queries, settings and records).

May import ``shape``; nothing above it.
"""
