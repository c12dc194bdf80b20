"""Dialing known peers with backoff, and discovery by peer exchange (/agora/pex/1)."""
from __future__ import annotations

import random

import msgpack
import multiaddr
import trio

from p2p.errors import (
    DialFailed, RequestRefused,
)
from p2p.reputation import Rep

from p2p.peer import (
    PEX_PROTOCOL, MAX_PEX_PEERS, _BookEntry, parse_peer_addr, log,
)


class DialerMixin:
    """NetworkService's dialing and discovery (a mixin)."""

    # ------------------------------------------------------------------ dialing / discovery

    def add_known_peer(self, peer_id: str, addrs: list[str], *, bootnode: bool = False) -> None:
        if peer_id == self.peer_id:
            return
        e = self._book.get(peer_id)
        if e is None:
            if len(self._book) >= 1000:
                victim = next((k for k, v in self._book.items() if not v.bootnode and k not in self._peers), None)
                if victim is None:
                    return
                del self._book[victim]
            e = self._book[peer_id] = _BookEntry([], bootnode=bootnode, backoff=self.config.dial_backoff_initial)
        e.bootnode = e.bootnode or bootnode
        for a in reversed(addrs[:8]):       # newest first
            if a in e.addrs:
                e.addrs.remove(a)
            e.addrs.insert(0, a)
        del e.addrs[8:]
        self._dial_wake.set()

    async def connect(self, addr: str) -> str:
        """Dial ``/ip4/../tcp/../p2p/<id>`` and wait for the handshake; returns the peer id."""
        pid, transport = parse_peer_addr(addr)
        self.add_known_peer(pid, [transport])
        await self._dial(pid, [transport])
        return pid

    async def _dial(self, pid_str: str, addrs: list[str]) -> None:
        from libp2p.peer.id import ID
        from libp2p.peer.peerinfo import PeerInfo

        if pid_str == self.peer_id:
            raise DialFailed("refusing to dial ourselves")
        if self.reputation.banned(pid_str):
            raise DialFailed("peer is banned")
        peer = self._peers.get(pid_str)
        if peer is None or peer.closed:
            pid = ID.from_base58(pid_str)
            net = self._host.get_network()
            cache = getattr(net, "_negative_peer_cache", None)
            errors = []
            # py-libp2p dials only one TCP address out of the peerstore's list, so
            # we feed it one address at a time, newest first.
            for a in addrs:
                if cache is not None:
                    cache.evict(pid_str)
                try:
                    self._host.get_peerstore().clear_addrs(pid)
                except Exception:
                    pass
                try:
                    with trio.fail_after(self.config.dial_timeout):
                        await self._host.connect(PeerInfo(pid, [multiaddr.Multiaddr(a)]))
                    break
                except trio.TooSlowError:
                    errors.append(f"{a}: timeout")
                except Exception as exc:
                    errors.append(f"{a}: {type(exc).__name__}")
            else:
                raise DialFailed(("dial failed: " + "; ".join(errors)) if errors else "no addresses")
            peer = self._peers.get(pid_str)
            if peer is None:
                raise DialFailed("connection closed before handshake")
        with trio.move_on_after(self.config.handshake_timeout + 1):
            await peer.settled.wait()
        if not peer.ready.is_set() or peer.closed:
            raise DialFailed(peer.close_reason or "handshake failed")

    async def _dial_task(self, pid: str, e: _BookEntry) -> None:
        try:
            await self._dial(pid, list(e.addrs))
        except DialFailed as exc:
            e.failures += 1
            e.last_error = str(exc)
            now = trio.current_time()
            e.next_attempt = now + e.backoff * random.uniform(0.8, 1.2)
            e.backoff = min(e.backoff * 2, self.config.dial_backoff_max)
            log.debug("dial %s failed (%d): %s", pid, e.failures, exc)
            if not e.bootnode and e.failures >= 5 and self._book.get(pid) is e:
                del self._book[pid]
        except Exception:
            log.exception("dial task for %s crashed", pid)
        finally:
            self._dialing.discard(pid)

    async def _dialer(self) -> None:
        cfg = self.config
        next_due = 0.0
        while True:
            now = trio.current_time()
            with trio.move_on_at(min(now + 1.0, max(next_due, now + 0.01))):
                await self._dial_wake.wait()
            self._dial_wake = trio.Event()
            now = trio.current_time()
            next_due = now + 1.0
            for pid, e in list(self._book.items()):
                if len(self._dialing) >= cfg.max_concurrent_dials:
                    break
                if pid in self._dialing or pid in self._peers or not e.addrs:
                    continue
                if self.reputation.banned(pid):
                    continue
                busy = len(self._peers) + len(self._dialing)
                if busy >= cfg.max_peers or (not e.bootnode and busy >= cfg.target_peers):
                    continue
                if now < e.next_attempt:
                    next_due = min(next_due, e.next_attempt)
                    continue
                self._dialing.add(pid)
                self._spawn(self._dial_task, pid, e)

    async def _discovery_loop(self) -> None:
        while True:
            with trio.move_on_after(self.config.discovery_interval):
                await self._discovery_wake.wait()
            self._discovery_wake = trio.Event()
            if self._ready_count() >= self.config.target_peers:
                continue
            ready = [p for p in self._peers.values() if p.ready.is_set() and not p.closed]
            for peer in random.sample(ready, min(3, len(ready))):
                self._spawn(self._discover_from, peer.id)

    async def _discover_from(self, peer_id: str) -> None:
        try:
            resp = await self.request(peer_id, PEX_PROTOCOL, msgpack.packb({"max": 32}), timeout=5.0)
        except Exception as exc:
            log.debug("pex with %s failed: %r", peer_id, exc)
            return
        try:
            entries = msgpack.unpackb(resp, raw=False)
            if not isinstance(entries, list):
                raise ValueError("not a list")
            found = 0
            for item in entries[:MAX_PEX_PEERS]:
                pid, addrs = item
                if not isinstance(pid, str) or not isinstance(addrs, list):
                    raise ValueError("bad entry")
                addrs = [a for a in addrs[:8] if isinstance(a, str)]
                if pid == self.peer_id or pid in self._peers or self.reputation.banned(pid):
                    continue
                from libp2p.peer.id import ID
                ID.from_base58(pid)
                good = []
                for a in addrs:
                    try:
                        good.append(str(multiaddr.Multiaddr(a)))
                    except Exception:
                        pass
                if good:
                    self.add_known_peer(pid, good)
                    found += 1
            self.counters["pex_peers_learned"] += found
        except Exception as exc:
            self.report_peer(peer_id, Rep.BAD_RESPONSE, f"bad pex response: {exc!r}")

    async def _pex_handler(self, peer_id: str, payload: bytes) -> bytes:
        try:
            req = msgpack.unpackb(payload, raw=False)
            n = max(0, min(int(req.get("max", 32)), MAX_PEX_PEERS))
        except Exception:
            raise RequestRefused("bad pex request")
        out = [[p.id, p.addrs] for p in self._peers.values()
               if p.id != peer_id and p.ready.is_set() and not p.closed and p.addrs]
        random.shuffle(out)
        return msgpack.packb(out[:n])
