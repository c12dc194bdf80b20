"""Run every implementation on the same inputs and insist on bit-identical outputs."""
from __future__ import annotations

from consensus.yuma import EpochInputs, EpochOutputs, run_epoch, run_epoch_reference

try:
    from consensus.yuma import run_epoch_vectorized
except ImportError:  # pragma: no cover
    run_epoch_vectorized = None


def run_all(inp: EpochInputs, *, reference: bool = True, vectorized: bool = True) -> EpochOutputs:
    out = run_epoch(inp)
    others = []
    if reference:
        others.append(("reference", run_epoch_reference))
    if vectorized and run_epoch_vectorized is not None:
        others.append(("vectorized", run_epoch_vectorized))
    for name, fn in others:
        bad = out.diff(fn(inp))
        assert not bad, f"kernel and {name} differ in {bad}"
    return out


def run_kernel_only(inp: EpochInputs) -> EpochOutputs:
    return run_epoch(inp)


def run_no_reference(inp: EpochInputs) -> EpochOutputs:
    return run_all(inp, reference=False)
