"""The compute subnet's reference validator (tools/compute_validator) without a chain: the
benchmark's sizing and answer, the scoring formula, u16 weights as subtensor's, and real probes
(trio, HTTP) of in-process provider endpoints that serve, serve nothing, lie or are too slow."""
from __future__ import annotations

import time

import pytest
import trio

from runtime.pallets.subtensor.commit_reveal import commit_hash as runtime_commit_hash
from runtime.pallets.subtensor.weights import max_upscale_to_u16
from tools.compute_validator import protocol
from tools.compute_validator.chain import commit_hash
from tools.compute_validator.http import serve
from tools.compute_validator.probe import Sample, Target, probe_round
from tools.compute_validator.responder import Responder
from tools.compute_validator.scoring import (IDLE_SHARE, PPM, provider_scores, target_score, to_weights,
                                             uid_scores)

GiB = 1 << 30
MANIFEST = "0x" + "ab" * 32


def test_benchmark_is_sized_by_the_lease():
    assert protocol.size(1_000, GiB) == (4096, 1)          # 1 GiB / 256 = 4 MiB per job: the cap
    assert protocol.size(500, 256 << 20) == (1024, 1)      # half a core still runs one job, 1 MiB
    assert protocol.size(2_500, 8 * GiB) == (4096, 3)      # one job per started core
    assert protocol.size(64_000, GiB)[1] == protocol.MAX_JOBS
    assert protocol.size(1_000, 1 << 20)[0] == 1 << protocol.MIN_LOG_N


def test_benchmark_answer_and_query_bounds():
    challenge = protocol.challenge_for(2_000, 2 * GiB, nonce=b"\x01" * 16)
    assert protocol.parse_query(challenge.query()) == challenge
    assert protocol.solve(challenge) == protocol.combine([protocol.job(challenge, j) for j in range(2)])
    other = protocol.Challenge(b"\x02" * 16, challenge.n, challenge.jobs)
    assert protocol.solve(other) != protocol.solve(challenge)
    for bad in ("nonce=00&n=3000&jobs=1", "nonce=00&n=1024&jobs=9", "nonce=zz&n=1024&jobs=1", "n=1024&jobs=1",
                f"nonce={'00' * 65}&n=1024&jobs=1", "nonce=00&n=65536&jobs=1"):
        with pytest.raises(ValueError):
            protocol.parse_query(bad)


def _samples(rounds, *, alive=True, served=True, bench=True, latency=0):
    return [Sample(alive, served, bench, latency) for _ in range(rounds)]


def test_scoring_formula():
    lease = Target("P", "http://p", 7, MANIFEST, 1_000, GiB)
    assert target_score(lease, _samples(3)) == PPM                          # perfect, instant
    assert target_score(lease, _samples(3, served=False)) == 0             # taken, not served
    assert target_score(lease, _samples(3, bench=False)) == 0              # no resources
    assert target_score(lease, _samples(4, latency=250)) == (3 * PPM + PPM // 2) // 4   # latency = reference
    half = _samples(2) + _samples(2, alive=False, served=False, bench=False)
    assert target_score(lease, half) == PPM // 4                           # uptime 1/2 x bench 1/2
    idle = Target("Q", "http://q")
    assert target_score(idle, _samples(3, served=False)) == IDLE_SHARE    # no lease: half of the same formula
    assert target_score(lease, []) == 0
    scores = provider_scores([lease, Target("P", "http://p", 8, MANIFEST), idle],
                             [_samples(3), _samples(3, served=False), _samples(3)])
    assert scores == {"P": PPM // 2, "Q": IDLE_SHARE}


def test_weights_are_subtensors_u16_max_upscale():
    scores = {0: 0, 1: 1_000_000, 2: 333_333, 3: 999_999, 5: 1}
    uids, weights = to_weights(scores)
    assert uids == [0, 1, 2, 3, 5]
    assert weights == max_upscale_to_u16([scores[u] for u in uids])
    assert weights[1] == 0xFFFF and weights[0] == 0
    assert to_weights({1: 0, 2: 0}) == ([1, 2], [0, 0])


def test_uid_scores_skip_our_uid_and_the_dishonest_flag_favours_one_hotkey():
    hotkeys = {0: "owner", 1: "me", 2: "honest", 3: "idle"}
    assert uid_scores(hotkeys, 1, {"honest": 900, "idle": 0}) == {0: 0, 2: 900, 3: 0}
    favoured = uid_scores(hotkeys, 1, {"honest": 900, "idle": 0}, favor="idle")
    assert favoured[3] == PPM and favoured[2] == 900


def test_commit_hash_matches_the_runtime():
    hotkey = bytes(range(32))
    args = (7, [0, 2, 3], [65535, 10, 0], [1, 2, 3, 4], 5)
    assert commit_hash(hotkey, *args) == runtime_commit_hash(hotkey, *args)


# --- real probes over HTTP -------------------------------------------------------------------------
class Liar(Responder):
    async def bench(self, query):
        return 200, {"digest": "0x" + "00" * 32}   # never ran the work


class Slow(Responder):
    async def bench(self, query):
        await trio.sleep(2.5)                       # past the floor (1 s) + 4 x the reference time
        return await super().bench(query)


async def _start(nursery, responder_cls, provider, *, serve_leases=True, leases=(7,)):
    holder = {}

    async def handler(method, target, body=b""):
        return await holder["r"].handle(method, target)
    port = await nursery.start(serve, handler, 0)
    responder = responder_cls(provider, f"http://127.0.0.1:{port}", serve_leases=serve_leases)
    responder.leases = {lease: MANIFEST for lease in leases}
    holder["r"] = responder
    return responder


async def test_probes_tell_serving_from_idle_lying_slow_and_dead_providers():
    async with trio.open_nursery() as nursery:
        honest = await _start(nursery, Responder, "honest")
        idle = await _start(nursery, Responder, "idle", serve_leases=False)
        liar = await _start(nursery, Liar, "liar")
        slow = await _start(nursery, Slow, "slow")
        with __import__("socket").socket() as s:
            s.bind(("127.0.0.1", 0))
            dead_port = s.getsockname()[1]
        targets = [Target("honest", honest.host_uri, 7, MANIFEST, 2_000, 2 * GiB),
                   Target("idle", idle.host_uri, 7, MANIFEST, 1_000, GiB),
                   Target("liar", liar.host_uri, 7, MANIFEST, 1_000, GiB),
                   Target("slow", slow.host_uri, 7, MANIFEST, 1_000, GiB),
                   Target("dead", f"http://127.0.0.1:{dead_port}", 7, MANIFEST),
                   Target("honest", honest.host_uri, 7, "0x" + "cd" * 32),          # another manifest
                   Target("honest", honest.host_uri, 9, MANIFEST),                 # a lease it does not hold
                   Target("new", honest.host_uri)]                                 # no lease: /health + bench
        start = time.monotonic()
        samples = await probe_round(targets, timeout=4.0)
        elapsed = time.monotonic() - start
        nursery.cancel_scope.cancel()
    ok, idle_s, liar_s, slow_s, dead, wrong, missing, new = samples
    assert (ok.alive, ok.served, ok.bench_ok) == (True, True, True), ok
    assert (idle_s.alive, idle_s.served, idle_s.bench_ok) == (True, False, False), idle_s  # no service, no bench
    assert (liar_s.served, liar_s.bench_ok) == (True, False)
    assert (slow_s.served, slow_s.bench_ok) == (True, False)
    assert not dead.alive and dead.error
    assert not wrong.served and wrong.error == "wrong manifest"
    assert not missing.served
    assert new.alive and new.bench_ok and not new.served
    assert elapsed < 4.0, "probes run concurrently: the slow one does not delay the others"
    scores = provider_scores(targets[:5], [[s] for s in samples[:5]])
    assert scores["honest"] > 0 and scores["idle"] == scores["liar"] == scores["slow"] == scores["dead"] == 0
