"""Pure consensus logic: Aura slots, equivocations, fork choice, finality tally, justifications."""
from __future__ import annotations

import pytest

from consensus import aura, finality, fork_choice
from consensus.finality import RoundTracker, RoundVotes, Vote, tally, threshold
from consensus.justification import InvalidJustification, Justification, build, verify


# -- a toy block tree: "a1" is block 1 on fork a, "b3" block 3 on fork b ...

def tree(*forks: tuple[str, int, int]):
    """forks: (name, branch_from_height, length) -> meta over names; genesis 'g'."""
    meta = {b"g": (b"\0", 0)}
    for name, start, length in forks:
        parent = b"g" if start == 0 else f"a{start}".encode()
        for n in range(start + 1, start + length + 1):
            h = f"{name}{n}".encode()
            meta[h] = (parent, n)
            parent = h
    return meta.get


def test_slot_math():
    assert aura.slot_at(6_000, 2_000) == 3
    assert aura.slot_at(7_999, 2_000) == 3
    assert aura.slot_start_ms(3, 2_000) == 6_000
    assert aura.ms_until_slot(4, 7_000, 2_000) == 1_000
    assert aura.expected_author([b"A", b"B", b"C"], 7) == b"B"
    assert aura.expected_author([], 7) is None
    assert not aura.is_future_slot(4, 7_000, 2_000)
    assert aura.is_future_slot(5, 7_000, 2_000)


def test_equivocation_detector():
    d = aura.EquivocationDetector(max_slots=2)
    assert d.check(1, b"A", b"x") is None
    d.note(1, b"A", b"x")
    assert d.check(1, b"A", b"x") is None
    e = d.check(1, b"A", b"y")
    assert e == aura.Equivocation(1, b"A", b"x", b"y")
    assert d.check(1, b"B", b"y") is None
    d.note(2, b"A", b"z")
    d.note(3, b"A", b"w")
    assert len(d) == 2 and d.check(1, b"A", b"y") is None   # forgotten


def test_tree_route_and_best_leaf():
    meta = tree(("a", 0, 5), ("b", 2, 4))         # a1..a5, b3..b6 branching at a2
    r = fork_choice.tree_route(meta, b"a5", b"b6")
    assert r.common == (b"a2", 2)
    assert r.retracted == [(b"a5", 5), (b"a4", 4), (b"a3", 3)]
    assert r.enacted == [(b"b3", 3), (b"b4", 4), (b"b5", 5), (b"b6", 6)]
    r = fork_choice.tree_route(meta, b"a2", b"a4")
    assert r.retracted == [] and r.enacted == [(b"a3", 3), (b"a4", 4)]
    assert fork_choice.is_descendant_or_equal(meta, (b"a2", 2), b"b5") is True
    assert fork_choice.is_descendant_or_equal(meta, (b"a3", 3), b"b5") is False
    assert fork_choice.is_descendant_or_equal(meta, (b"a3", 3), b"zz") is None
    leaves = [(b"a5", 5), (b"b6", 6)]
    assert fork_choice.best_leaf(meta, leaves, (b"a2", 2)) == (b"b6", 6)
    assert fork_choice.best_leaf(meta, leaves, (b"a3", 3)) == (b"a5", 5)
    assert fork_choice.is_better((b"x", 6), (b"y", 5)) and not fork_choice.is_better((b"x", 5), (b"y", 5))
    with pytest.raises(fork_choice.UnknownAncestry):
        fork_choice.tree_route(meta, b"a5", b"nope")


V = [b"A" * 32, b"B" * 32, b"C" * 32, b"D" * 32]


def vote(r, target: str, n: int, who: int) -> Vote:
    return Vote(r, target.encode(), n, V[who], b"s" * 64)


def test_threshold():
    assert [threshold(n) for n in (1, 2, 3, 4, 5, 6, 7)] == [1, 2, 3, 3, 4, 5, 5]


def test_tally_finalizes_common_ancestor():
    meta = tree(("a", 0, 5), ("b", 2, 4))
    rv = RoundVotes(1, V)
    for who, (t, n) in enumerate([("a5", 5), ("a4", 4), ("a3", 3), ("b6", 6)]):
        assert rv.add(vote(1, t, n, who)) == finality.NEW
    t = tally(rv, 4, meta, (b"g", 0))
    assert t.ghost == (b"a3", 3)          # a5, a4, a3 support a3
    assert t.completable and t.estimate == (b"a3", 3)


def test_tally_split_votes_finalize_nothing_but_complete():
    meta = tree(("a", 0, 5), ("b", 2, 4))
    rv = RoundVotes(1, V)
    for who, (t, n) in enumerate([("a5", 5), ("a4", 4), ("b6", 6), ("b5", 5)]):
        rv.add(vote(1, t, n, who))
    t = tally(rv, 4, meta, (b"g", 0))
    assert t.ghost == (b"a2", 2)
    assert t.completable and t.estimate == (b"a2", 2)


def test_tally_missing_voters_and_unknown_targets():
    meta = tree(("a", 0, 5), ("b", 2, 4))
    rv = RoundVotes(1, V)
    rv.add(vote(1, "a5", 5, 0))
    rv.add(vote(1, "a5", 5, 1))
    t = tally(rv, 4, meta, (b"g", 0))
    assert t.ghost is None and not t.completable      # only 2 of 4 seen
    rv.add(vote(1, "zz", 9, 2))                        # unknown block: not seen yet
    t = tally(rv, 4, meta, (b"g", 0))
    assert t.unknown == 1 and not t.completable
    rv.add(vote(1, "a4", 4, 3))
    t = tally(rv, 4, meta, (b"g", 0))
    assert t.ghost == (b"a4", 4) and t.completable and t.estimate == (b"a5", 5)


def test_equivocator_counts_for_everything():
    meta = tree(("a", 0, 5), ("b", 2, 4))
    rv = RoundVotes(1, V)
    rv.add(vote(1, "a5", 5, 0))
    rv.add(vote(1, "a5", 5, 1))
    assert rv.add(vote(1, "a5", 5, 1)) == finality.DUPLICATE
    rv.add(vote(1, "a5", 5, 2))
    assert rv.add(vote(1, "b6", 6, 2)) == finality.EQUIVOCATION
    assert rv.add(Vote(1, b"a5", 5, b"E" * 32, b"")) == finality.NOT_A_VOTER
    t = tally(rv, 4, meta, (b"g", 0))
    assert t.ghost == (b"a5", 5)
    assert len(finality.commit_votes(rv, t, t.ghost)) == 4


def test_votes_below_base_and_off_base():
    meta = tree(("a", 0, 5), ("b", 2, 4))
    rv = RoundVotes(1, V)
    for who, (t, n) in enumerate([("a1", 1), ("b5", 5), ("a5", 5), ("a5", 5)]):
        rv.add(vote(1, t, n, who))
    t = tally(rv, 4, meta, (b"a3", 3))
    assert t.known == 4
    assert t.ghost is None and t.estimate == (b"a3", 3) and t.completable


def test_round_tracker_jumps_to_completable_round():
    meta = tree(("a", 0, 5))
    rt = RoundTracker(V, round_number=1)
    assert rt.completable_round(meta, (b"g", 0)) is None
    for who in range(3):
        rt.add(vote(3, "a4", 4, who))      # a completable round below the highest one
    for who in range(3):
        rt.add(vote(7, "a5", 5, who))
    k, t = rt.completable_round(meta, (b"g", 0))
    assert k == 7 and t.completable and t.ghost == (b"a5", 5)     # 3 of 4 voters: a supermajority
    rt.enter(k + 1)
    assert rt.current == 8 and rt.accepts(7) and not rt.accepts(6) and rt.accepts(10**6)
    fin = rt.finalizable(meta, (b"g", 0))
    assert fin[0] == 7 and fin[1].ghost == (b"a5", 5)
    assert finality.choose_target(meta, (b"a3", 3), (b"a5", 5)) == (b"a5", 5)
    meta2 = tree(("a", 0, 5), ("b", 2, 4))
    assert finality.choose_target(meta2, (b"a3", 3), (b"b6", 6)) == (b"a3", 3)


def test_justification_roundtrip_and_verify():
    from primitives import crypto
    from primitives.hashing import blake2_256
    from primitives.keys import Keypair
    from primitives.types import Header

    keys = [Keypair.from_uri(f"//{n}") for n in ("Alice", "Bob", "Charlie", "Dave")]
    auths = [k.public_key for k in keys]
    headers, parent = {}, b"\0" * 32
    chain = []
    for n in range(1, 4):
        raw = Header.encode({"parent_hash": parent, "number": n, "state_root": b"\1" * 32,
                             "extrinsics_root": b"\2" * 32, "digest": {"logs": []}})
        parent = blake2_256(raw)
        headers[parent] = raw
        chain.append((parent, n))
    target = chain[0]

    def signed(k, tgt, r=5):
        return Vote(r, tgt[0], tgt[1], k.public_key, k.sign(finality.vote_payload(r, 0, tgt[0], tgt[1])))

    votes = [signed(keys[0], chain[2]), signed(keys[1], chain[1]), signed(keys[2], chain[0])]
    j = build(5, target, votes, headers.get)
    assert len(j.ancestries) == 2
    j2 = Justification.decode(j.encode())
    assert j2 == j
    verify(j2, target, auths, 0, crypto.verify_sr25519)
    with pytest.raises(InvalidJustification):
        verify(j2, chain[1], auths, 0, crypto.verify_sr25519)          # wrong block
    with pytest.raises(InvalidJustification):
        verify(Justification(5, target[0], 1, tuple(votes[:2]), j.ancestries), target, auths, 0,
               crypto.verify_sr25519)                                   # 2 of 4
    bad = Justification(5, target[0], 1, (votes[0], votes[1], Vote(5, chain[0][0], 1, auths[2], b"\0" * 64)),
                        j.ancestries)
    with pytest.raises(InvalidJustification):
        verify(bad, target, auths, 0, crypto.verify_sr25519)
    with pytest.raises(InvalidJustification):
        verify(Justification(5, target[0], 1, tuple(votes), ()), target, auths, 0, crypto.verify_sr25519)
    for garbage in (b"", b"\1" * 10, j.encode() + b"\0", j.encode()[:-3]):
        with pytest.raises(InvalidJustification):
            Justification.decode(garbage)


def test_justification_with_an_equivocator():
    from primitives import crypto
    from primitives.hashing import blake2_256
    from primitives.keys import Keypair
    from primitives.types import Header

    keys = [Keypair.from_uri(f"//{n}") for n in ("Alice", "Bob", "Charlie", "Dave")]
    auths = [k.public_key for k in keys]

    def header(parent, n, salt):
        raw = Header.encode({"parent_hash": parent, "number": n, "state_root": salt * 32,
                             "extrinsics_root": b"\2" * 32, "digest": {"logs": []}})
        return blake2_256(raw), raw

    g = b"\0" * 32
    a1, a1_raw = header(g, 1, b"a")
    b1, b1_raw = header(g, 1, b"b")
    headers = {a1: a1_raw, b1: b1_raw}

    def signed(k, h, n, r=3):
        return Vote(r, h, n, k.public_key, k.sign(finality.vote_payload(r, 0, h, n)))

    rv = RoundVotes(3, auths)
    for v in (signed(keys[0], a1, 1), signed(keys[1], a1, 1), signed(keys[2], a1, 1), signed(keys[2], b1, 1)):
        rv.add(v)
    meta = {a1: (g, 1), b1: (g, 1), g: (b"\1" * 32, 0)}.get
    t = tally(rv, 4, meta, (g, 0))
    assert t.ghost == (a1, 1)
    j = build(3, t.ghost, finality.commit_votes(rv, t, t.ghost), headers.get)
    verify(Justification.decode(j.encode()), (a1, 1), auths, 0, crypto.verify_sr25519)
    lone = Justification(3, a1, 1, (signed(keys[0], a1, 1), signed(keys[1], a1, 1), signed(keys[2], b1, 1)), ())
    with pytest.raises(InvalidJustification, match="does not descend"):
        verify(lone, (a1, 1), auths, 0, crypto.verify_sr25519)
