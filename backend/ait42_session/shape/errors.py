"""The errors every command may report.

Each class carries the contract's ``code``; the page sees the class name and the
message, so both must be enough for a person to act on.
"""

from __future__ import annotations


class SessionError(Exception):
    """Base of every failure a command reports."""

    code = "INTERNAL"


class ValidationError(SessionError):
    """An argument or a field is missing, has the wrong type or an unknown value."""

    code = "VALIDATION"


class NotFoundError(SessionError):
    """No such session in that workspace, or no such instance."""

    code = "NOT_FOUND"


class ConflictError(SessionError):
    """A session id or message id that already exists."""

    code = "CONFLICT"


class DatabaseError(SessionError):
    """The database failed: locked past the timeout, full disk, corrupt file."""

    code = "DATABASE"


class MigrationError(SessionError):
    """A migration failed, an applied file changed, or the database is newer than the code."""

    code = "MIGRATION"


class FileError(SessionError):
    """A file could not be read or written."""

    code = "IO"


class JsonError(SessionError):
    """A legacy JSON file could not be parsed."""

    code = "JSON"


__all__ = [
    "ConflictError",
    "DatabaseError",
    "FileError",
    "JsonError",
    "MigrationError",
    "NotFoundError",
    "SessionError",
    "ValidationError",
]
