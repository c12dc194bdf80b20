"""A GRANDPA-like finality gadget: rounds of signed votes and their tally (pure logic).

Each authority casts at most one vote per round for a block (normally its best).  A
vote for a block supports every ancestor of that block too.  With ``n`` voters and
``t = threshold(n)`` (more than 2/3):

* a block is **finalized** by a round once ``t`` votes support it (the round's
  *ghost* is the highest such block);
* a block is **possible** while the votes not yet seen could still push its support
  to ``t``; the possible blocks above the base always form a prefix of one chain
  once the round is **completable** (``t`` votes seen and no fork among the possible
  blocks); the tip of that prefix is the round's **estimate**;
* a voter enters round ``k + 1`` only once round ``k`` is completable in its view, and
  its vote there must be the estimate of round ``k`` or a descendant of it.

Why this is safe: if ``B`` was finalized in round ``k`` then ``B`` stays possible in
every view of round ``k`` (its real supporters may be the unseen ones), so every
estimate of round ``k`` descends ``B``, so every honest vote of round ``k + 1``
descends ``B``, and so on; fewer than ``n / 3`` dishonest voters can never give a
block conflicting with ``B`` the ``t`` votes it needs.  An authority that votes twice
in a round (an *equivocator*) is counted as supporting every block, as GRANDPA does.

Blocks are seen through ``meta(hash) -> (parent_hash, number) | None``; a vote whose
target is not known locally counts as not seen until the block arrives.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

BlockMeta = Callable[[bytes], "tuple[bytes, int] | None"]
Target = tuple[bytes, int]


def threshold(n_voters: int) -> int:
    """The smallest number of votes that is more than two thirds of ``n_voters``."""
    return 2 * n_voters // 3 + 1


def vote_payload(round_number: int, set_id: int, target_hash: bytes, target_number: int) -> bytes:
    """What a voter signs: GRANDPA's ``(Message::Precommit(hash, number), round, set_id)`` SCALE encoding."""
    return (b"\x01" + target_hash + target_number.to_bytes(4, "little")
            + round_number.to_bytes(8, "little") + set_id.to_bytes(8, "little"))


@dataclass(frozen=True)
class Vote:
    round: int
    target_hash: bytes
    target_number: int
    voter: bytes
    signature: bytes

    @property
    def target(self) -> Target:
        return (self.target_hash, self.target_number)


NEW, DUPLICATE, EQUIVOCATION, NOT_A_VOTER = "new", "duplicate", "equivocation", "not-a-voter"


class RoundVotes:
    """The votes of one round: one per voter; a second, different vote marks an equivocator."""

    def __init__(self, round_number: int, voters: Sequence[bytes]) -> None:
        self.round = round_number
        self.voters = frozenset(voters)
        self.votes: dict[bytes, Vote] = {}
        self.equivocations: dict[bytes, tuple[Vote, Vote]] = {}

    def add(self, vote: Vote) -> str:
        if vote.voter not in self.voters:
            return NOT_A_VOTER
        if vote.voter in self.equivocations:
            return DUPLICATE
        first = self.votes.get(vote.voter)
        if first is None:
            self.votes[vote.voter] = vote
            return NEW
        if first.target == vote.target:
            return DUPLICATE
        self.equivocations[vote.voter] = (first, vote)
        del self.votes[vote.voter]
        return EQUIVOCATION

    def all_votes(self) -> list[Vote]:
        out = list(self.votes.values())
        for a, b in self.equivocations.values():
            out += [a, b]
        return out

    def __len__(self) -> int:
        return len(self.votes) + len(self.equivocations)


@dataclass
class Tally:
    """A round as seen with the blocks known locally, above ``base`` (the local finalized block)."""

    base: Target
    ghost: Target | None          # highest block above base with >= threshold support
    estimate: Target              # tip of the possible chain (base when nothing above is possible)
    completable: bool
    known: int                    # votes whose target is known (equivocators excluded)
    unknown: int                  # votes whose target is not known locally
    supporters: dict[bytes, set[bytes]] = field(default_factory=dict)   # block -> voters


def _path_above(meta: BlockMeta, target: Target, base: Target) -> list[Target] | None:
    """Blocks from ``target`` down to just above ``base``: [] if it does not descend ``base``
    (or claims a wrong number), None if its ancestry is not known locally."""
    h, n = target
    if n <= base[1]:
        return []
    path: list[Target] = []
    while n > base[1]:
        m = meta(h)
        if m is None:
            return None
        if m[1] != n:
            return []
        path.append((h, n))
        h, n = m[0], n - 1
    return path if h == base[0] else []


def tally(votes: RoundVotes, n_voters: int, meta: BlockMeta, base: Target) -> Tally:
    t = threshold(n_voters)
    support: dict[bytes, set[bytes]] = {}
    numbers: dict[bytes, int] = {}
    known = unknown = 0
    for voter, vote in votes.votes.items():
        path = _path_above(meta, vote.target, base)
        if path is None:
            unknown += 1
            continue
        known += 1
        for h, n in path:
            support.setdefault(h, set()).add(voter)
            numbers[h] = n
    eq = len(votes.equivocations)
    unseen = n_voters - known - eq
    ghost: Target | None = None
    possible: dict[int, list[bytes]] = {}
    for h, who in support.items():
        count = len(who) + eq
        n = numbers[h]
        if count >= t and (ghost is None or n > ghost[1] or (n == ghost[1] and h > ghost[0])):
            ghost = (h, n)
        if count + unseen >= t:
            possible.setdefault(n, []).append(h)
    fork = any(len(hs) > 1 for hs in possible.values())
    completable = known + eq >= t and eq + unseen < t and not fork
    if possible and not fork:
        top = max(possible)
        estimate = (possible[top][0], top)
    else:
        estimate = base
    return Tally(base, ghost, estimate, completable, known, unknown, support)


def commit_votes(votes: RoundVotes, tallied: Tally, target: Target) -> list[Vote]:
    """The votes that support ``target`` (plus equivocators' votes): a justification's body."""
    who = tallied.supporters.get(target[0], set())
    out = [votes.votes[v] for v in sorted(who)]
    for a, b in votes.equivocations.values():
        out += [a, b]
    return out


class RoundTracker:
    """Which round a voter is in, the votes of the rounds around it, and when to move on.

    Votes are kept for round ``current - 1`` and later (at most ``window`` rounds);
    votes of later rounds let a voter that was away jump forward (it enters ``k + 1``
    as soon as any kept round ``k >= current`` is completable).
    """

    def __init__(self, voters: Sequence[bytes], *, round_number: int = 1, window: int = 64) -> None:
        self.voters = list(voters)
        self.n = len(self.voters)
        self.window = window
        self.current = max(1, round_number)
        self.rounds: dict[int, RoundVotes] = {}

    @property
    def threshold(self) -> int:
        return threshold(self.n)

    def accepts(self, round_number: int) -> bool:
        return round_number >= self.current - 1

    def round(self, round_number: int) -> RoundVotes:
        r = self.rounds.get(round_number)
        if r is None:
            r = self.rounds[round_number] = RoundVotes(round_number, self.voters)
            ahead = sorted(k for k in self.rounds if k > self.current and k != round_number)
            while len(self.rounds) > self.window and ahead:
                del self.rounds[ahead.pop(0)]   # bounded memory: forget the nearest future rounds first
        return r

    def add(self, vote: Vote) -> str:
        if not self.accepts(vote.round):
            return DUPLICATE
        return self.round(vote.round).add(vote)

    def enter(self, round_number: int) -> None:
        if round_number <= self.current:
            return
        self.current = round_number
        for r in [r for r in self.rounds if r < round_number - 1]:
            del self.rounds[r]

    def completable_round(self, meta: BlockMeta, base: Target) -> tuple[int, Tally] | None:
        """The highest kept round ``k >= current`` that is completable, with its tally."""
        for k in sorted((r for r in self.rounds if r >= self.current), reverse=True):
            t = tally(self.rounds[k], self.n, meta, base)
            if t.completable:
                return k, t
        return None

    def finalizable(self, meta: BlockMeta, base: Target) -> tuple[int, Tally] | None:
        """The kept round whose ghost is highest above ``base`` (what can be finalized now)."""
        best: tuple[int, Tally] | None = None
        for k in sorted(self.rounds):
            t = tally(self.rounds[k], self.n, meta, base)
            if t.ghost is not None and (best is None or t.ghost[1] > best[1].ghost[1]):  # type: ignore[union-attr]
                best = (k, t)
        return best

    def votes_of(self, rounds: Iterable[int]) -> list[Vote]:
        out: list[Vote] = []
        for k in rounds:
            r = self.rounds.get(k)
            if r is not None:
                out += r.all_votes()
        return out


def choose_target(meta: BlockMeta, estimate: Target, best: Target) -> Target:
    """A voter's vote: its best block when that descends the estimate, else the estimate."""
    h, n = best
    if n < estimate[1]:
        return estimate
    while n > estimate[1]:
        m = meta(h)
        if m is None:
            return estimate
        h, n = m[0], m[1] - 1
    return best if h == estimate[0] else estimate


__all__ = ["threshold", "vote_payload", "Vote", "RoundVotes", "Tally", "tally", "commit_votes",
           "RoundTracker", "choose_target", "NEW", "DUPLICATE", "EQUIVOCATION", "NOT_A_VOTER"]
