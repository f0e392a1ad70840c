"""Two helpers every module of SQL uses: ``transaction`` and ``scalar``.

Imports nothing of the package, so a module that runs statements need not
import ``db`` (the open database, its migrations and backups) to run them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite


@asynccontextmanager
async def transaction(conn: aiosqlite.Connection, begin: str = "BEGIN IMMEDIATE",
                      ) -> AsyncIterator[None]:
    """``begin`` ... ``COMMIT`` on ``conn``; rolled back when the block fails."""
    await conn.execute(begin)
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            await conn.execute("ROLLBACK")
        raise
    try:
        await conn.execute("COMMIT")
    except BaseException:  # COMMIT itself failed (busy, full disk): end the transaction
        if conn.in_transaction:
            await conn.execute("ROLLBACK")
        raise


async def scalar(conn: aiosqlite.Connection, sql: str,
                 params: Sequence[Any] = ()) -> Any:
    """The first column of the first row, or ``None`` when there is no row."""
    for row in await conn.execute_fetchall(sql, params):
        return row[0]
    return None
