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
- ``report``: progress and summary; ``options``: what a run is asked to do.

This file imports none of them: import the module that holds the name.
"""
