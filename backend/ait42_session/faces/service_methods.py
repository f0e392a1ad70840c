"""One typed method per command of the registry (generated: do not edit).

Made by ``python -m tools.service_methods`` from ``faces/service.py``'s table; each
method is ``call(name, *args)``, validated there like the page's calls.
Arguments are the JSON the page would send (``Any``); results are typed.
"""

from __future__ import annotations

from typing import Any, cast

Json = dict[str, Any]


class CommandMethods:
    """The registry's commands as methods (``Service`` provides ``call``)."""

    def call(self, name: str, *args: Any) -> Any:
        raise NotImplementedError

    def create_session_sqlite(self, workspace_path: Any, session: Any) -> Json:
        """Store a new session; CONFLICT when its id exists."""
        return cast('Json', self.call('create_session_sqlite', workspace_path, session))

    def update_session_sqlite(self, workspace_path: Any, session: Any) -> Json:
        """Replace a stored session whole (instances and chat included)."""
        return cast('Json', self.call('update_session_sqlite', workspace_path, session))

    def get_session_sqlite(self, workspace_path: Any, session_id: Any) -> Json:
        """One whole session of the workspace."""
        return cast('Json', self.call('get_session_sqlite', workspace_path, session_id))

    def get_all_sessions_sqlite(self, workspace_path: Any) -> list[Json]:
        """Every session of the workspace, newest ``updatedAt`` first; [] for a blank
        path."""
        return cast('list[Json]', self.call('get_all_sessions_sqlite', workspace_path))

    def delete_session_sqlite(self, workspace_path: Any, session_id: Any) -> None:
        """Delete a session: the database moves it to the trash (``restore_session``
        brings it back); the legacy file drops it."""
        self.call('delete_session_sqlite', workspace_path, session_id)

    def add_chat_message_sqlite(self, workspace_path: Any, session_id: Any, message: Any) -> Json:
        """Append a chat message; the session's ``updatedAt`` becomes now."""
        return cast('Json', self.call('add_chat_message_sqlite',
            workspace_path, session_id, message))

    def update_instance_status_sqlite(
            self, workspace_path: Any, session_id: Any, instance_id: Any, new_status: Any,
    ) -> Json:
        """Set one instance's status; the session's ``updatedAt`` becomes now."""
        return cast('Json', self.call('update_instance_status_sqlite',
            workspace_path, session_id, instance_id, new_status))

    def get_database_stats(self) -> Json:
        """Counts, sizes and the database's path."""
        return cast('Json', self.call('get_database_stats'))

    def optimize_database(self) -> None:
        """Rebuild derived data a check finds out of step (in the background), merge the
        search index, refresh statistics, give deleted space back, truncate the WAL."""
        self.call('optimize_database')

    def verify_database_integrity(self) -> bool:
        """True when the integrity and foreign-key checks find nothing and the derived
        data (search index, insights rows) is in step with the sessions."""
        return cast('bool', self.call('verify_database_integrity'))

    def list_workspaces(self) -> list[Json]:
        """The workspaces the database knows, most recently used first, with counts and
        ``lastActivity`` (the newest session's ``updatedAt``, null when none)."""
        return cast('list[Json]', self.call('list_workspaces'))

    def list_session_summaries(self, workspace_path: Any, query: Any) -> Json:
        """A page of the board: summaries (no output, no chat), filtered and sorted."""
        return cast('Json', self.call('list_session_summaries', workspace_path, query))

    def get_metrics(self) -> Json:
        """Per command since start: count, errors by code, p50/p95/p99 latency in ms."""
        return cast('Json', self.call('get_metrics'))

    def search_sessions(self, query: Any, options: Any) -> Json:
        """Ranked full-text search in every workspace (or one): ``{items: [hit],
        nextCursor}``."""
        return cast('Json', self.call('search_sessions', query, options))

    def build_search_index(self, batch: Any) -> Json:
        """Bring the derived data (search index, insights) up to date with up to
        ``batch`` changed sessions: ``{indexed, pending}``; call until ``pending`` is 0
        (the background does the same by itself)."""
        return cast('Json', self.call('build_search_index', batch))

    def create_session(self, workspace_path: Any, session: Any) -> Json:
        """Store a new session; CONFLICT when its id exists."""
        return cast('Json', self.call('create_session', workspace_path, session))

    def update_session(self, workspace_path: Any, session: Any) -> Json:
        """Replace a stored session whole (instances and chat included)."""
        return cast('Json', self.call('update_session', workspace_path, session))

    def get_session(self, workspace_path: Any, session_id: Any) -> Json:
        """One whole session of the workspace."""
        return cast('Json', self.call('get_session', workspace_path, session_id))

    def get_all_sessions(self, workspace_path: Any) -> list[Json]:
        """Every session of the workspace, newest ``updatedAt`` first; [] for a blank
        path."""
        return cast('list[Json]', self.call('get_all_sessions', workspace_path))

    def delete_session(self, workspace_path: Any, session_id: Any) -> None:
        """Delete a session: the database moves it to the trash (``restore_session``
        brings it back); the legacy file drops it."""
        self.call('delete_session', workspace_path, session_id)

    def add_chat_message(self, workspace_path: Any, session_id: Any, message: Any) -> Json:
        """Append a chat message; the session's ``updatedAt`` becomes now."""
        return cast('Json', self.call('add_chat_message', workspace_path, session_id, message))

    def update_instance_status(
            self, workspace_path: Any, session_id: Any, instance_id: Any, new_status: Any,
    ) -> Json:
        """Set one instance's status; the session's ``updatedAt`` becomes now."""
        return cast('Json', self.call('update_instance_status',
            workspace_path, session_id, instance_id, new_status))

    def get_storage_mode(self) -> Json:
        """``{mode: json|dual|sqlite, sessionsDir}``: what backs the JSON-era commands."""
        return cast('Json', self.call('get_storage_mode'))

    def set_storage_mode(self, mode: Any) -> Json:
        """Switch the storage mode; ``{mode, previous, sessionsDir}``."""
        return cast('Json', self.call('set_storage_mode', mode))

    def start_import(self, source_dir: Any, options: Any) -> Json:
        """Start importing a folder of legacy files in the background; ``{jobId}`` at
        once."""
        return cast('Json', self.call('start_import', source_dir, options))

    def get_import_status(self, job_id: Any) -> Json:
        """``{jobId, state: running|done|failed, filesDone, filesTotal, sessionsDone,
        sessionsTotal, rate, etaSeconds, ..., summary? (done), error? (failed)}``."""
        return cast('Json', self.call('get_import_status', job_id))

    def cancel_import(self, job_id: Any) -> Json:
        """Ask a running import to stop after its current file; returns its status."""
        return cast('Json', self.call('cancel_import', job_id))

    def check_consistency(self) -> Json:
        """Compare every workspace's JSON file with the database, field by field."""
        return cast('Json', self.call('check_consistency'))

    def bind_workspace(self, workspace_hash: Any, path: Any) -> Json:
        """Give a workspace imported under its hash alone its real path (hashes must
        match)."""
        return cast('Json', self.call('bind_workspace', workspace_hash, path))

    def get_insights(self, options: Any) -> Json:
        """Per agent, runtime and model: instances, wins, decided, completed, failed,
        median duration, lines; sessions per ISO week by type."""
        return cast('Json', self.call('get_insights', options))

    def archive_session(self, workspace_path: Any, session_id: Any, archived: Any) -> Json:
        """Set (true) or clear (false) the session's ``archivedAt``; returns the
        session."""
        return cast('Json', self.call('archive_session', workspace_path, session_id, archived))

    def list_trash(self, workspace_path: Any) -> list[Json]:
        """Trashed sessions of the workspace (null: every workspace), newest first."""
        return cast('list[Json]', self.call('list_trash', workspace_path))

    def restore_session(self, workspace_path: Any, session_id: Any, trash_id: Any = None) -> Json:
        """Bring a trashed copy back whole: the one ``trash_id`` names (from
        ``list_trash``; absent or null: the newest); CONFLICT when a live session has
        the id."""
        return cast('Json', self.call('restore_session', workspace_path, session_id, trash_id))

    def purge_trash(self, workspace_path: Any, session_ids: Any, trash_ids: Any = None) -> Json:
        """Destroy trashed sessions for good (nulls: everything); ``trash_ids`` (absent
        or null: every copy) names single copies, NOT_FOUND unless all are there; backs
        up first; ``{purged}``."""
        return cast('Json', self.call('purge_trash', workspace_path, session_ids, trash_ids))

    def create_backup(self, path: Any) -> Json:
        """A consistent copy of the whole database; ``{path, sizeBytes, createdAt}``."""
        return cast('Json', self.call('create_backup', path))

    def list_backups(self) -> list[Json]:
        """Backups in the backups folder, newest first: ``{path, sizeBytes, createdAt,
        reason, automatic}``."""
        return cast('list[Json]', self.call('list_backups'))

    def restore_backup(self, path: Any) -> Json:
        """Check the file, back the current database up, replace it; the restored stats."""
        return cast('Json', self.call('restore_backup', path))

    def export_sessions(self, selection: Any, format: Any, path: Any, options: Any = None) -> Json:
        """Write sessions to one file (json bundle, markdown, html); ``{path, format,
        sessions, bytes}``. ``options`` (or null): ``{replace?}``; false: CONFLICT when
        the file exists."""
        return cast('Json', self.call('export_sessions', selection, format, path, options))

    def import_bundle(self, path: Any, options: Any) -> Json:
        """Merge a JSON bundle by session id; ``{read, written, unchanged, skipped,
        problems}``."""
        return cast('Json', self.call('import_bundle', path, options))

    def changes_since(self, token: Any, wait_ms: Any) -> Json:
        """Sessions changed after ``token`` (from the last answer; null: just the
        token)."""
        return cast('Json', self.call('changes_since', token, wait_ms))

    def append_instance_output(
            self, workspace_path: Any, session_id: Any, instance_id: Any, text: Any,
    ) -> Json:
        """Append ``text`` to an instance's output; ``{outputLength}`` in characters
        after it."""
        return cast('Json', self.call('append_instance_output',
            workspace_path, session_id, instance_id, text))

    def use_sample_history(self, sample: Any = None) -> Json:
        """Show the sample history (``true``: a made-up history in its own database,
        ``sample/sessions.db`` beside this one, written on first use), go back to this
        database (``false``), or only say which is shown (null); ``{sample, path,
        ownPath, samplePath}``. Nothing of the sample is ever written into this
        database."""
        return cast('Json', self.call('use_sample_history', sample))
