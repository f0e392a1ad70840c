"""What an import is asked to do: the command line's flags, the page's options."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ait42_session.legacy.json_files import default_sessions_dir
from ait42_session.shape.errors import SessionError, ValidationError


class Cancelled(SessionError):
    """The import was cancelled; files already imported stay imported."""

    code = "CANCELLED"


@dataclass(frozen=True)
class ImportOptions:
    """What to import and how."""

    source_dir: str
    workspaces: tuple[str, ...] = ()
    mapping_file: str | None = None
    dry_run: bool = False
    overwrite: bool = False
    backup: bool = True


_ALLOWED = ("dryRun", "mapping", "noBackup", "overwrite", "workspaces")


def options_from_json(source_dir: object, options: object) -> ImportOptions:
    """Validate the page's ``start_import(dir, options)`` arguments.

    ``dir`` null or empty means the default legacy folder; unknown option
    names are refused so that a typo (``dry_run``) never runs a real import.
    """
    if source_dir is None or source_dir == "":
        folder = str(default_sessions_dir())
    elif isinstance(source_dir, str):
        folder = source_dir
    else:
        raise ValidationError(f"dir must be a folder path or null, got {source_dir!r}")
    if options is None:
        opts: dict[str, Any] = {}
    elif isinstance(options, dict):
        opts = options
    else:
        raise ValidationError(f"options must be an object or null, got {type(options).__name__}")
    unknown = sorted(str(k) for k in opts if k not in _ALLOWED)
    if unknown:
        raise ValidationError(f"unknown import option(s) {', '.join(unknown)}; "
                              f"allowed: {', '.join(_ALLOWED)}")
    workspaces = opts.get("workspaces") or []
    if not isinstance(workspaces, list) or not all(isinstance(w, str) and w.strip()
                                                   for w in workspaces):
        raise ValidationError("options.workspaces must be a list of folder paths")
    mapping = opts.get("mapping")
    if mapping is not None and (not isinstance(mapping, str) or not mapping.strip()):
        raise ValidationError("options.mapping must be the path of a mapping file")
    flags: dict[str, bool] = {}
    for key in ("dryRun", "overwrite", "noBackup"):
        value = opts.get(key, False)
        if not isinstance(value, bool):
            raise ValidationError(f"options.{key} must be true or false, got {value!r}")
        flags[key] = value
    return ImportOptions(source_dir=folder, workspaces=tuple(workspaces), mapping_file=mapping,
                         dry_run=flags["dryRun"], overwrite=flags["overwrite"],
                         backup=not flags["noBackup"])
