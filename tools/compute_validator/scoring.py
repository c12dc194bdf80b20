"""From samples to weights, in integers (parts per million, then u16 as subtensor).

Per lease, over the R rounds of a tempo:

    uptime   = rounds in which the endpoint answered AND the service answered with the manifest / R
    bench    = rounds whose benchmark was right and in time / R
    latency  = LATENCY_REF_MS / (LATENCY_REF_MS + median liveness latency in ms)   (1 when instant)
    score    = uptime x bench x (3 + latency) / 4

A provider with leases scores the mean of its leases' scores: a lease that is taken but not served
scores 0, and so does its provider if that is all it has. A provider with no lease is probed at its
daemon (`/health` and a one-core benchmark) and scores IDLE_SHARE of the same formula (with
"answered" for uptime), so a new provider can earn the consensus it needs to win its first auction
and a provider that serves its leases always outscores an idle one. Everything else on the subnet
(validators, the owner) scores 0.

Weights: max-upscaled to u16 as `vec_u16_max_upscale_to_u16` does (the best provider gets 65535,
the others `round(score x 65535 / best)`), sent for every UID but the validator's own, zeros
included, so `MinAllowedWeights` (capped at the subnet's size) is met.
"""
from __future__ import annotations

from tools.compute_validator.probe import Sample, Target

PPM = 1_000_000
LATENCY_REF_MS = 250
IDLE_SHARE = PPM // 2
U16_MAX = 0xFFFF


def _median(values: list[int]) -> int:
    values = sorted(values)
    return values[len(values) // 2] if values else 0


def target_score(target: Target, samples: list[Sample]) -> int:
    """Score in ppm of one target over a tempo's samples (see the module docstring)."""
    rounds = len(samples)
    if not rounds:
        return 0
    if target.lease is None:
        up = sum(s.alive for s in samples)
    else:
        up = sum(s.alive and s.served for s in samples)
    benched = sum(s.bench_ok for s in samples)
    latencies = [s.latency_ms for s in samples if s.alive and s.latency_ms is not None]
    latency = LATENCY_REF_MS * PPM // (LATENCY_REF_MS + _median(latencies)) if latencies else 0
    score = up * benched * (3 * PPM + latency) // (4 * rounds * rounds)
    if target.lease is None:
        score = score * IDLE_SHARE // PPM
    return score


def provider_scores(targets: list[Target], samples: list[list[Sample]]) -> dict[str, int]:
    """provider -> ppm: the mean over its leases, or its idle score when it has none."""
    by_provider: dict[str, list[int]] = {}
    idle: dict[str, int] = {}
    for target, target_samples in zip(targets, samples):
        score = target_score(target, target_samples)
        if target.lease is None:
            idle[target.provider] = score
        else:
            by_provider.setdefault(target.provider, []).append(score)
    out = {who: sum(scores) // len(scores) for who, scores in by_provider.items()}
    for who, score in idle.items():
        out.setdefault(who, score)
    return out


def to_weights(scores: dict[int, int]) -> tuple[list[int], list[int]]:
    """uid -> score (any non-negative integers) to (uids, u16 weights), max-upscaled; sorted by uid."""
    uids = sorted(scores)
    best = max(scores.values(), default=0)
    if best <= 0:
        return uids, [0] * len(uids)
    return uids, [(scores[uid] * U16_MAX + best // 2) // best for uid in uids]


def uid_scores(hotkeys: dict[int, str], own_uid: int | None, scores: dict[str, int],
               favor: str | None = None) -> dict[int, int]:
    """Scores per UID of the subnet (all UIDs but our own). `favor` (tests only: a dishonest
    validator) is the hotkey that gets the top score whatever it measured."""
    out = {uid: scores.get(hotkey, 0) for uid, hotkey in hotkeys.items() if uid != own_uid}
    if favor is not None:
        top = max(out.values(), default=0)
        for uid, hotkey in hotkeys.items():
            if hotkey == favor and uid != own_uid:
                out[uid] = max(top, PPM)
    return out
