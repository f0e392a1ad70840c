"""Per-command figures since start: calls, errors by code, latency percentiles."""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

_WINDOW = 2048  # latest samples kept per command for the percentiles


class Metrics:
    """Thread-safe counters fed by the bridge after every command."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[str, int] = {}
        self._errors: dict[str, dict[str, int]] = {}
        self._samples: dict[str, deque[float]] = {}

    def record(self, command: str, seconds: float, error_code: str | None) -> None:
        with self._lock:
            self._calls[command] = self._calls.get(command, 0) + 1
            samples = self._samples.get(command)
            if samples is None:
                samples = self._samples[command] = deque(maxlen=_WINDOW)
            samples.append(seconds)
            if error_code is not None:
                codes = self._errors.setdefault(command, {})
                codes[error_code] = codes.get(error_code, 0) + 1

    def snapshot(self) -> dict[str, Any]:
        """``{command: {count, errors: {code: n}, p50Ms, p95Ms, p99Ms}}``."""
        with self._lock:
            out: dict[str, Any] = {}
            for command, count in sorted(self._calls.items()):
                ordered = sorted(self._samples[command])

                def pct(q: float, ordered: list[float] = ordered) -> float:
                    index = min(len(ordered) - 1, int(q * len(ordered)))
                    return round(ordered[index] * 1000, 3)

                out[command] = {
                    "count": count,
                    "errors": dict(self._errors.get(command, {})),
                    "p50Ms": pct(0.50), "p95Ms": pct(0.95), "p99Ms": pct(0.99),
                }
            return out
