"""What the commands run against: one ``Context`` per open store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ait42_session.derived.catchup import CatchUp
    from ait42_session.derived.live import ChangeFeed
    from ait42_session.derived.search import Pages
    from ait42_session.faces.metrics import Metrics
    from ait42_session.faces.sample import Places
    from ait42_session.legacy.importer.jobs import ImportJobs
    from ait42_session.legacy.storage import Storage
    from ait42_session.store.db import Database


@dataclass(frozen=True, slots=True)
class Context:
    """The open database and what lives beside it while a store is open."""

    db: Database
    storage: Storage  # the storage mode and the dual-write store
    jobs: ImportJobs  # legacy imports running in the background
    metrics: Metrics  # per-command counts and latency
    feed: ChangeFeed  # the waits of changes_since
    derived: CatchUp  # the catch-up of the search index and insights
    pages: Pages  # the ordered matches of recent searches' first pages
    places: Places  # the person's database or the sample history: which one commands use
