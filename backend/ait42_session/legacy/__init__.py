"""The legacy JSON world: the shell's ``{hash}.json`` files as a store, the
storage modes (json, dual, sqlite) with the dual write, the legacy import and
the field-by-field consistency check.

May import ``store`` and ``shape``.
"""
