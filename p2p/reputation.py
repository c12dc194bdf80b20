"""Peer reputation, bans and per-peer token buckets (pure logic, no I/O)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable


class Rep:
    """Standard reputation changes (Substrate-like scale, ban below -1000)."""

    MALFORMED_FRAME = -400        # bad varint / bad msgpack / wrong envelope
    OVERSIZE = -400               # frame or payload over a protocol's limit
    RATE_LIMITED = -20            # per message over the token bucket
    UNKNOWN_PROTOCOL = -50        # notification for an unregistered protocol
    BAD_RESPONSE = -200           # malformed or oversize response to our request
    TIMEOUT = -20                 # request timed out (caller decides)
    HANDSHAKE_FAILURE = -200
    GOOD_MESSAGE = 1              # handlers may reward useful data


@dataclass
class _Entry:
    value: float = 0.0
    stamp: float = field(default_factory=time.monotonic)


class ReputationBook:
    """Reputation values decaying exponentially toward 0, plus a ban list.

    ``report`` returns True when the change pushes a peer under
    ``ban_threshold``; the peer is then banned for ``ban_duration`` seconds
    and its reputation reset to 0 (so it starts fresh after the ban).
    """

    def __init__(self, *, ban_threshold: float = -1000.0, ban_duration: float = 300.0,
                 half_life: float = 60.0, max_entries: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ban_threshold = ban_threshold
        self.ban_duration = ban_duration
        self.half_life = half_life
        self.max_entries = max_entries
        self._clock = clock
        self._rep: dict[str, _Entry] = {}
        self._bans: dict[str, tuple[float, str]] = {}

    def _decayed(self, e: _Entry, now: float) -> float:
        dt = now - e.stamp
        if dt <= 0 or self.half_life <= 0:
            return e.value
        return e.value * 0.5 ** (dt / self.half_life)

    def get(self, peer: str) -> float:
        e = self._rep.get(peer)
        return 0.0 if e is None else self._decayed(e, self._clock())

    def report(self, peer: str, delta: float) -> bool:
        now = self._clock()
        e = self._rep.get(peer)
        if e is None:
            if len(self._rep) >= self.max_entries:
                self._gc(now)
            e = self._rep[peer] = _Entry(0.0, now)
        e.value = self._decayed(e, now) + delta
        e.stamp = now
        return e.value < self.ban_threshold

    def ban(self, peer: str, reason: str, duration: float | None = None) -> None:
        until = self._clock() + (self.ban_duration if duration is None else duration)
        prev = self._bans.get(peer)
        if prev is None or prev[0] < until:
            self._bans[peer] = (until, reason)
        self._rep.pop(peer, None)

    def unban(self, peer: str) -> None:
        self._bans.pop(peer, None)

    def banned(self, peer: str) -> bool:
        b = self._bans.get(peer)
        if b is None:
            return False
        if self._clock() >= b[0]:
            del self._bans[peer]
            return False
        return True

    def ban_reason(self, peer: str) -> str | None:
        return self._bans[peer][1] if self.banned(peer) else None

    def bans(self) -> dict[str, tuple[float, str]]:
        now = self._clock()
        return {p: (until - now, r) for p, (until, r) in self._bans.items() if until > now}

    def _gc(self, now: float) -> None:
        for p in [p for p, e in self._rep.items() if abs(self._decayed(e, now)) < 1.0]:
            del self._rep[p]
        while len(self._rep) >= self.max_entries:
            self._rep.pop(next(iter(self._rep)))


class TokenBucket:
    """Classic token bucket: ``rate`` tokens/s, capacity ``burst``."""

    __slots__ = ("rate", "burst", "tokens", "stamp", "_clock")

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = float(rate)
        self.burst = float(burst)
        self.tokens = float(burst)
        self._clock = clock
        self.stamp = clock()

    def take(self, n: float = 1.0) -> bool:
        now = self._clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= n:
            self.tokens -= n
            return True
        return False
