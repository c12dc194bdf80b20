"""The finality gadget's node side: vote in rounds, gossip votes and commits, finalize.

The round logic is :mod:`consensus.finality`; this module adds the clock, the keys,
the network and persistence.  A voter:

1. votes once in its current round for its best block (a descendant of the previous
   round's estimate), saving the vote before sending it, so a restart never makes it
   vote twice;
2. finalizes the highest block that more than 2/3 of the votes of a round support,
   stores the justification with the block and sends it to peers as a *commit*;
3. enters the next round when the current one is completable and either its best block
   is not finalized yet or a slot has passed (or jumps ahead when a later round completes).

Non-voters (full nodes) follow the same rounds and finalize from votes and commits.
"""
from __future__ import annotations

import logging
import os
import random
from typing import Any, Callable

import msgpack
import trio

from consensus import finality as fin
from consensus.justification import InvalidJustification, Justification, build, verify
from node.chain import Block, Chain, StaleBlock
from node.network import peers as rep
from node.network import protocol as proto
from node.network.peers import KnownSet, PeerSet
from runtime import api as runtime_api
from primitives import crypto
from primitives.hashing import blake2_256

log = logging.getLogger("agora.finality")

STATE_KEY = b"Mfinality_voter"
SET_ID = 0
RELAY_FANOUT = 4          # peers a vote we did not cast is relayed to
# the previous gossip (relay every vote to every peer, resend everything every 2 slots): only as
# the same-run baseline of `make bench` (tests/bench/bench_devnet_scale.py)
FLOOD_GOSSIP = os.environ.get("AGORA_FINALITY_FLOOD_GOSSIP") == "1"

Finalizer = Callable[[bytes, "bytes | None"], "list[tuple[bytes, int]]"]


def _vote_id(v: fin.Vote) -> bytes:
    return blake2_256(v.round.to_bytes(8, "little") + v.voter + v.target_hash + v.signature)


class FinalityService:
    def __init__(self, chain: Chain, network: Any, peers: PeerSet, *, finalize: Finalizer, key=None,
                 slot_ms: int = 2000, metrics=None, fetch: Callable[[str, bytes, int], Any] | None = None) -> None:
        self.chain = chain
        self.net = network
        self.peers = peers
        self.finalize = finalize
        self.metrics = metrics
        self.fetch = fetch
        self.authorities: list[bytes] = runtime_api.aura_authorities(chain.state_at(chain.finalized_hash))
        self.key = key if key is not None and key.public_key in self.authorities else None
        self.min_round = slot_ms / 1000 / 8
        self.max_round = slot_ms / 1000
        self.resend_interval = 2 * slot_ms / 1000
        state = self._load()
        self.tracker = fin.RoundTracker(self.authorities, round_number=state.get("round", 1))
        est = state.get("estimate")
        self.estimate: fin.Target = (est[0], est[1]) if est else (chain.finalized_hash, chain.finalized_number)
        self.voted_round: int = state.get("voted_round", 0)
        self.my_target: bytes | None = None
        self.round_started = 0.0
        self.equivocations: list[tuple[fin.Vote, fin.Vote]] = []
        self._seen = KnownSet(8192)
        self._gossip_wake = trio.Event()
        self._new_peers: set[str] = set()
        self._relay: list[tuple[fin.Vote, str | None]] = []
        self._wake = trio.Event()
        self._fetch_send, self._fetch_recv = trio.open_memory_channel(64)
        # our own signed votes of the last rounds survive restarts: if every voter restarts at
        # once, these are the only copies, and without them the round could never complete
        self.my_votes: dict[int, fin.Vote] = {}
        if self.key is not None:
            for r, h, n, sig in state.get("my_votes", []):
                vote = fin.Vote(r, h, n, self.key.public_key, sig)
                self.my_votes[r] = vote
                self._seen.add(_vote_id(vote))
                self.tracker.add(vote)
        self.finalized_by_votes = 0
        self.finalized_by_commits = 0
        self._pending: tuple[int, bytes, bytes, str | None] | None = None   # (number, hash, justification, peer)

    # -- persistence --------------------------------------------------------------------------------
    def _load(self) -> dict:
        raw = self.chain.store.kv.get(STATE_KEY)
        if raw is None:
            return {}
        try:
            return msgpack.unpackb(raw, raw=False)
        except Exception:  # pure decoding of a stored blob: unreadable means no saved votes
            return {}

    def _save(self) -> None:
        for r in [r for r in self.my_votes if r < self.tracker.current - 1]:
            del self.my_votes[r]
        state = {"round": self.tracker.current, "estimate": list(self.estimate), "voted_round": self.voted_round,
                 "my_votes": [[v.round, v.target_hash, v.target_number, v.signature] for v in self.my_votes.values()]}
        self.chain.store.kv.write([(STATE_KEY, msgpack.packb(state, use_bin_type=True))])

    # -- status -------------------------------------------------------------------------------------------
    @property
    def round(self) -> int:
        return self.tracker.current

    def wake(self) -> None:
        self._wake.set()

    def on_block(self, block: Block, is_new_best: bool) -> None:
        self._wake.set()
        pending = self._pending
        if pending is not None and block.hash == pending[1]:
            self._pending = None
            self.on_justification(None, pending[2], pending[3])

    def on_finalized(self) -> None:
        """Finalized moved (by us or by the author's instant finality): commits to peers behind."""
        self._gossip_wake.set()

    # -- incoming ----------------------------------------------------------------------------------------
    def handle(self, peer_id: str, payload: bytes) -> None:
        try:
            msg = proto.decode_finality(payload)
        except proto.ProtocolError as exc:
            self.net.report_peer(peer_id, rep.FATAL, f"bad finality message: {exc}")
            return
        if msg.set_id != SET_ID:
            self.net.report_peer(peer_id, rep.STALE, "finality message for another authority set")
            return
        if msg.kind == "commit":
            self.on_justification(None, msg.justification, peer_id)
            return
        peer = self.peers.get(peer_id)
        for vote in msg.votes:
            vid = _vote_id(vote)
            if peer is not None:
                peer.known_votes.add(vid)
            if vid in self._seen or not self.tracker.accepts(vote.round):
                continue
            if vote.voter not in self.authorities:
                self.net.report_peer(peer_id, rep.FATAL, "vote from a non-authority")
                return
            if not crypto.verify_sr25519(vote.signature, fin.vote_payload(vote.round, SET_ID, vote.target_hash,
                                                                        vote.target_number), vote.voter):
                self.net.report_peer(peer_id, rep.FATAL, "bad vote signature")
                return
            self._seen.add(vid)
            self._add_vote(vote, peer_id)

    def _add_vote(self, vote: fin.Vote, peer_id: str | None) -> None:
        status = self.tracker.add(vote)
        if status == fin.EQUIVOCATION:
            pair = self.tracker.rounds[vote.round].equivocations[vote.voter]
            self.equivocations.append(pair)
            log.warning("⚠️  Finality equivocation by 0x%s in round %d", vote.voter.hex()[:16], vote.round)
            if self.metrics is not None:
                self.metrics.equivocations.labels("finality").inc()
        if status in (fin.NEW, fin.EQUIVOCATION):
            self._relay.append((vote, peer_id))
            self._gossip_wake.set()
            if peer_id is not None and not self.chain.has_block(vote.target_hash):
                try:
                    self._fetch_send.send_nowait((peer_id, vote.target_hash, vote.target_number))
                except trio.WouldBlock:
                    pass
            self._wake.set()

    def on_justification(self, block: Block | None, data: bytes, peer_id: str | None) -> None:
        """A justification from a commit message or a synced block: verify, then finalize."""
        try:
            j = Justification.decode(data)
        except InvalidJustification as exc:
            if peer_id:
                self.net.report_peer(peer_id, rep.FATAL, f"bad justification: {exc}")
            return
        if block is not None and (j.target_hash, j.target_number) != (block.hash, block.number):
            if peer_id:
                self.net.report_peer(peer_id, rep.FATAL, "justification for another block")
            return
        peer = self.peers.get(peer_id) if peer_id else None
        if peer is not None:
            peer.note_finalized(j.target_number, j.target_hash)
        if j.target_number <= self.chain.finalized_number:
            return
        if not self.chain.has_block(j.target_hash):
            # keep the highest one until its block arrives (sync or announcement)
            if self._pending is None or j.target_number > self._pending[0]:
                self._pending = (j.target_number, j.target_hash, data, peer_id)
            if peer_id is not None:
                try:
                    self._fetch_send.send_nowait((peer_id, j.target_hash, j.target_number))
                except trio.WouldBlock:
                    pass
            return
        try:
            verify(j, (j.target_hash, j.target_number), self.authorities, SET_ID, crypto.verify_sr25519)
        except InvalidJustification as exc:
            if peer_id:
                self.net.report_peer(peer_id, rep.FATAL, f"invalid justification: {exc}")
            return
        if self._finalize((j.target_hash, j.target_number), data):
            self.finalized_by_commits += 1

    # -- the round machine -----------------------------------------------------------------------------
    def _finalize(self, target: fin.Target, justification: bytes) -> bool:
        try:
            newly = self.finalize(target[0], justification)
        except StaleBlock as exc:
            log.error("cannot finalize #%d: %s", target[1], exc)
            return False
        except KeyError:
            return False
        if newly:
            self._wake.set()
            self._gossip_wake.set()
        return bool(newly)

    def _try_finalize(self) -> None:
        base = (self.chain.finalized_hash, self.chain.finalized_number)
        found = self.tracker.finalizable(self.chain.meta, base)
        if found is None:
            return
        k, t = found
        assert t.ghost is not None
        votes = fin.commit_votes(self.tracker.rounds[k], t, t.ghost)
        j = build(k, t.ghost, votes, self.chain.store.header).encode()
        if self._finalize(t.ghost, j):
            self.finalized_by_votes += 1

    def _vote(self) -> None:
        if self.key is None or self.voted_round >= self.tracker.current:
            return
        best = (self.chain.best_hash, self.chain.best_number)
        target = fin.choose_target(self.chain.meta, self.estimate, best)
        r = self.tracker.current
        sig = self.key.sign(fin.vote_payload(r, SET_ID, target[0], target[1]))
        vote = fin.Vote(r, target[0], target[1], self.key.public_key, sig)
        self.voted_round = r
        self.my_target = target[0]
        self.my_votes[r] = vote
        self._save()                       # before it leaves: never vote twice in a round
        self._seen.add(_vote_id(vote))
        self._add_vote(vote, None)

    def _advance(self, now: float) -> bool:
        base = (self.chain.finalized_hash, self.chain.finalized_number)
        found = self.tracker.completable_round(self.chain.meta, base)
        if found is None:
            return False
        k, t = found
        if k == self.tracker.current:
            if self.key is not None and self.voted_round < k:
                return False
            elapsed = now - self.round_started
            if elapsed < self.min_round:
                return False
            # nothing left to finalize: no hurry (one round per max_round keeps laggards moving)
            if elapsed < self.max_round and self.chain.best_number <= self.chain.finalized_number:
                return False
        self.tracker.enter(k + 1)
        self.estimate = t.estimate
        self.round_started = now
        self._save()
        if self.metrics is not None:
            self.metrics.finality_grandpa_round.set(self.tracker.current)
        return True

    def step(self) -> None:
        now = trio.current_time()
        for _ in range(4):
            self._vote()
            self._try_finalize()
            if not self._advance(now):
                break

    # -- outgoing -------------------------------------------------------------------------------------
    def _current_votes(self) -> list[fin.Vote]:
        return self.tracker.votes_of([self.tracker.current - 1, self.tracker.current])

    async def _send_votes(self, peer_id: str, votes: list[fin.Vote], force: bool = False) -> None:
        peer = self.peers.get(peer_id)
        if peer is None:
            return
        fresh = [v for v in votes if force or _vote_id(v) not in peer.known_votes]
        if not fresh:
            return
        if await self.net.send(peer_id, proto.FINALITY, proto.encode_votes(SET_ID, fresh)):
            for v in fresh:
                peer.known_votes.add(_vote_id(v))

    async def _send_commits(self) -> None:
        number = self.chain.finalized_number
        behind = [p for p in self.peers.all() if p.finalized_number < number]
        if not behind:
            return
        just = self.chain.justification(self.chain.finalized_hash)
        if just is None:
            return
        payload = proto.encode_commit(SET_ID, just)
        for peer in behind:
            if await self.net.send(peer.peer_id, proto.FINALITY, payload):
                peer.note_finalized(number, self.chain.finalized_hash)

    def on_peer_connected(self, peer_id: str) -> None:
        self._new_peers.add(peer_id)
        self._gossip_wake.set()
        self._wake.set()

    async def _gossip(self) -> None:
        """Our own votes go to every peer at once; others' new votes to at most ``RELAY_FANOUT`` peers
        not known to have them (in a full mesh every voter reaches everyone itself, so relaying to all
        would make each node receive every vote from every peer: O(N) per vote, O(N^2) per round).
        New peers get the current rounds' votes; everyone gets them again only while finality is
        stalled (nothing finalized for ``resend_interval``), so nothing lost stays lost; commits go
        to peers behind."""
        last_resend = trio.current_time()
        last_finalized = self.chain.finalized_number
        while True:
            with trio.move_on_at(last_resend + self.resend_interval):
                await self._gossip_wake.wait()
            self._gossip_wake = trio.Event()
            relay, self._relay = self._relay, []
            new_peers, self._new_peers = self._new_peers, set()
            force_all = False
            if trio.current_time() - last_resend >= self.resend_interval:
                last_resend = trio.current_time()
                force_all = FLOOD_GOSSIP or self.chain.finalized_number == last_finalized
                last_finalized = self.chain.finalized_number
            current = self._current_votes() if (force_all or new_peers) else []
            if force_all:
                self._refetch_unknown_targets(current)
            peers = self.peers.all()
            for peer in peers:
                if force_all or peer.peer_id in new_peers:
                    await self._send_votes(peer.peer_id, current, force=True)
            batches: dict[str, list[fin.Vote]] = {}
            for vote, src in relay:
                if src is None or FLOOD_GOSSIP:
                    targets = [p for p in peers if p.peer_id != src]
                else:
                    vid = _vote_id(vote)
                    targets = [p for p in peers if p.peer_id != src and vid not in p.known_votes]
                    if len(targets) > RELAY_FANOUT:
                        targets = random.sample(targets, RELAY_FANOUT)
                for peer in targets:
                    batches.setdefault(peer.peer_id, []).append(vote)
            for peer_id, votes in batches.items():
                await self._send_votes(peer_id, votes)
            await self._send_commits()

    def _refetch_unknown_targets(self, votes: list[fin.Vote]) -> None:
        """Finality stalled: fetch again the blocks votes point at that we still lack.

        A vote is fetched for once, when it first arrives; if that fetch failed (after a partition
        the other side's fork is nobody's best block, so no announcement brings it either), the vote
        stays unknown and its round can never complete."""
        peers = self.peers.all()
        if not peers or self.fetch is None:
            return
        asked: set[bytes] = set()
        for vote in votes:
            if vote.target_hash in asked or self.chain.has_block(vote.target_hash):
                continue
            asked.add(vote.target_hash)
            vid = _vote_id(vote)
            holders = [p for p in peers if vid in p.known_votes] or peers
            try:
                self._fetch_send.send_nowait((random.choice(holders).peer_id, vote.target_hash, vote.target_number))
            except trio.WouldBlock:
                return

    async def _fetcher(self) -> None:
        async for peer_id, block_hash, number in self._fetch_recv:
            if self.chain.has_block(block_hash) or self.fetch is None:
                continue
            try:
                await self.fetch(peer_id, block_hash, number)
            except Exception:  # a network fetch; imports inside it classify their own faults
                log.exception("fetching a voted-for block failed")
            self._wake.set()

    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        self.round_started = trio.current_time()
        if self.metrics is not None:
            self.metrics.finality_grandpa_round.set(self.tracker.current)
        log.info("👴 Finality: %s, %d authorities, round %d", "voting" if self.key else "observing",
                 len(self.authorities), self.tracker.current)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._gossip)
            nursery.start_soon(self._fetcher)
            task_status.started()
            while True:
                with trio.move_on_after(self.min_round):
                    await self._wake.wait()
                self._wake = trio.Event()
                try:
                    self.step()
                except Exception:  # top of the finality task: a failed step commits nothing; retry
                    log.exception("finality step failed")
                    await trio.sleep(1)
