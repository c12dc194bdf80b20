"""The connected peers as the node sees them, and their reputation and bans."""
from __future__ import annotations

from typing import Any

import trio

from p2p.config import (
    PeerView,
)

from p2p.peer import (
    log,
)


class PeerTableMixin:
    """NetworkService's peer queries and reputation (a mixin)."""

    # ------------------------------------------------------------------ peers / reputation

    def peers(self) -> list[PeerView]:
        now = trio.current_time() if self._running else 0.0
        return [PeerView(p.id, p.role, p.direction, tuple(p.addrs), p.handshake, p.info,
                         self.reputation.get(p.id), now - p.connected_at, len(p.outq),
                         sum(p.dropped.values()))
                for p in self._peers.values() if p.ready.is_set() and not p.closed]

    def peer_ids(self) -> list[str]:
        return [p.id for p in self._peers.values() if p.ready.is_set() and not p.closed]

    def is_connected(self, peer_id: str) -> bool:
        p = self._peers.get(peer_id)
        return p is not None and p.ready.is_set() and not p.closed

    def peer_info(self, peer_id: str) -> Any:
        p = self._peers.get(peer_id)
        return None if p is None else p.info

    def set_peer_info(self, peer_id: str, info: Any) -> None:
        """The node updates what it knows about a peer (e.g. best block from announces)."""
        p = self._peers.get(peer_id)
        if p is not None:
            p.info = info

    def report_peer(self, peer_id: str, delta: float, reason: str) -> None:
        """Change a peer's reputation; under the threshold it is disconnected and banned."""
        if self.reputation.banned(peer_id):
            return
        if delta < 0:
            self.counters["reputation_reports"] += 1
            log.debug("peer %s %+d: %s", peer_id, delta, reason)
        if self.reputation.report(peer_id, delta):
            self.ban_peer(peer_id, reason)

    def ban_peer(self, peer_id: str, reason: str, duration: float | None = None) -> None:
        """Disconnect ``peer_id`` now and refuse it for ``duration`` (default config.ban_duration)."""
        already = self.reputation.banned(peer_id)
        self.reputation.ban(peer_id, reason, duration)
        if not already:
            self.counters["bans"] += 1
            log.warning("banning peer %s: %s", peer_id, reason)
        peer = self._peers.get(peer_id)
        if peer is not None and not peer.closed:
            # stop processing its messages at once; the connection is closed next
            peer.close(f"banned: {reason}")
            self._spawn(self._hangup, peer, f"banned: {reason}")

    def unban_peer(self, peer_id: str) -> None:
        self.reputation.unban(peer_id)

    def is_banned(self, peer_id: str) -> bool:
        return self.reputation.banned(peer_id)
