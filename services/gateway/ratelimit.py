"""Rate limits shared by every gateway replica: fixed windows counted in Postgres."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker

from services.common.errors import TooManyRequests
from services.gateway.repository import Repository


class RateLimiter:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self.sessions = sessions

    async def hit(self, key: str, limit: int, window_seconds: int, what: str = "requests") -> None:
        """Count one attempt for `key`; past `limit` in the last `window_seconds`, refuse with 429 and
        Retry-After.

        A sliding window: this window's count plus the previous window's, weighted by how much of it
        still lies within the last `window_seconds`, so a burst that straddles a window boundary is
        counted whole. Counted in a transaction of its own, so a failed attempt (a wrong password)
        still counts.
        """
        now = datetime.now(UTC)
        epoch = now.timestamp()
        start = datetime.fromtimestamp(int(epoch) - int(epoch) % window_seconds, UTC)
        previous_start = start - timedelta(seconds=window_seconds)
        async with self.sessions() as session, session.begin():
            r = Repository(session)
            count = await r.count_hit(key, start)
            previous = await r.window_count(key, previous_start)
            if count == 1 and int(epoch) % 50 == 0:
                await r.prune_rate_limits(now - timedelta(days=1))
        elapsed = (now - start).total_seconds() / window_seconds
        estimate = count + previous * (1.0 - elapsed)
        if estimate > limit:
            retry_after = max(1, int((start + timedelta(seconds=window_seconds) - now).total_seconds()) + 1)
            raise TooManyRequests(f"too many {what}; try again in {retry_after} s", retry_after=retry_after)
