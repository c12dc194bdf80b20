"""Property tests: the numba kernel, the same kernel interpreted (``NUMBA_DISABLE_JIT=1``),
the readable reference and the vectorised numpy version agree bit for bit on random
subnets (hypothesis), including the awkward states a chain can hold: rows with uids >= n,
unsorted rows, explicit zero weights, LastUpdate / ValidatorPermit of the wrong length,
owner self-weights, stake thresholds, commit-reveal masks, bonds penalty in (0, 1),
liquid alpha with any alpha_low/alpha_high/steepness, bonds moving average > 1e6.
"""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from consensus.yuma import run_epoch, run_epoch_reference

from ._gen import subnets

try:
    from consensus.yuma import run_epoch_vectorized
except ImportError:  # pragma: no cover
    run_epoch_vectorized = None

ROOT = Path(__file__).resolve().parents[2]
COMMON = dict(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


@settings(max_examples=150, **COMMON)
@given(subnets())
def test_kernel_reference_vectorized_identical(inp):
    out = run_epoch(inp)
    assert not out.diff(run_epoch_reference(inp)), "kernel != reference"
    if run_epoch_vectorized is not None:
        assert not out.diff(run_epoch_vectorized(inp)), "kernel != vectorized"


@settings(max_examples=25, **COMMON)
@given(subnets(max_n=24))
def test_larger_subnets_identical(inp):
    out = run_epoch(inp)
    assert not out.diff(run_epoch_reference(inp))


def test_kernel_without_jit_identical(tmp_path):
    """The kernel interpreted as plain Python (NUMBA_DISABLE_JIT=1, set before numba is
    imported, hence a subprocess) gives the same outputs as the compiled kernel."""
    cases = []

    @settings(max_examples=40, **COMMON)
    @given(subnets())
    def collect(inp):
        cases.append((inp, run_epoch(inp)))

    collect()
    src = tmp_path / "cases.pkl"
    dst = tmp_path / "out.pkl"
    src.write_bytes(pickle.dumps([c[0] for c in cases]))
    script = textwrap.dedent(f"""
        import pickle, warnings
        warnings.simplefilter("error")  # an int64 overflow warning would mean wrapped arithmetic
        import numba
        assert numba.config.DISABLE_JIT
        from consensus.yuma.kernel import run_epoch
        inputs = pickle.loads(open({str(src)!r}, "rb").read())
        open({str(dst)!r}, "wb").write(pickle.dumps([run_epoch(i) for i in inputs]))
    """)
    env = dict(os.environ, NUMBA_DISABLE_JIT="1", PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, check=True, timeout=600)
    outs = pickle.loads(dst.read_bytes())
    assert len(outs) == len(cases)
    for (inp, jitted), interpreted in zip(cases, outs):
        assert not jitted.diff(interpreted), "jitted kernel != NUMBA_DISABLE_JIT kernel"
        assert not jitted.diff(run_epoch_reference(inp))


def test_mid_size_subnets_identical():
    """n = 270 with 260 active validators: the 8-bit radix median path (m >= 256), long rows,
    classic Yuma, liquid alpha with an interpolated bonds penalty."""
    from ._gen import dense_subnet

    for hyper in (dict(), dict(yuma3_enabled=False), dict(liquid_alpha_enabled=True, bonds_penalty=20000)):
        inp = dense_subnet(270, 5, validators=260, density=0.5, **hyper)
        out = run_epoch(inp)
        assert not out.diff(run_epoch_reference(inp))
        assert not out.diff(run_epoch_vectorized(inp))
