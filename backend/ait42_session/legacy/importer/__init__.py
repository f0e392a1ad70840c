"""Bring the legacy ``{hash}.json`` files into the database, with nothing lost.

One file at a time, one transaction per file (see the README, "Importing the
legacy JSON files"). The modules, in the order a file meets them:

- ``files``: the folder's entries, each to read or skipped with its reason;
  the workspace folder each file belongs to;
- ``backup``: the copy of the folder before its first real import;
- ``reading``: a file's sessions parsed one at a time, validated and turned
  into rows proved to read back as their JSON;
- ``writing``: the SQL of a file's transaction and of the run records;
- ``checking``: written sessions read back and compared;
- ``run``: one run over a folder; ``jobs``: runs in the background;
- ``report``: progress and summary; ``options``: what a run is asked to do;
"""

from ait42_session.legacy.importer.jobs import ImportJobs
from ait42_session.legacy.importer.options import (
    Cancelled,
    ImportOptions,
    options_from_json,
)
from ait42_session.legacy.importer.report import (
    MAX_ISSUES,
    Progress,
    format_summary,
    render_progress,
)
from ait42_session.legacy.importer.run import Importer

__all__ = ["MAX_ISSUES", "Cancelled", "ImportJobs", "ImportOptions", "Importer", "Progress",
           "format_summary", "options_from_json", "render_progress"]
