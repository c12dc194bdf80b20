"""Yuma consensus kernel benchmarks (collected by ``tests/bench/run.py``).

* one epoch of a 256-UID subnet with 64 validators (each weighting every uid, full bond
  rows), Yuma3 with subtensor's default hyperparameters: numba kernel vs the vectorised
  numpy implementation of the same integer algorithm, measured in this run;
* the 4096 x 4096 dense stress subnet (every uid a permitted validator with a full weight
  row and a full bond row), same comparison, plus classic Yuma and Yuma3 + liquid alpha;
* cold compile time (subprocess with an empty temporary NUMBA_CACHE_DIR, every code path)
  and cache-hit load time (a second subprocess on that cache).

Timings are taken on one CPU (the process is pinned to a single core while measuring).
Every timed kernel result is checked bit-identical to the numpy result.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def _one_core():
    try:
        before = os.sched_getaffinity(0)
    except AttributeError:  # pragma: no cover - not Linux
        yield None
        return
    cpu = max(before)
    os.sched_setaffinity(0, {cpu})
    try:
        yield cpu
    finally:
        os.sched_setaffinity(0, before)


def _time(fn, arg, repeats: int) -> tuple[float, object]:
    samples = []
    out = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn(arg)
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples), out


def _case(name: str, inp, repeats: int, baseline_repeats: int, unit: str, scale: float, target: str) -> list[dict]:
    from consensus.yuma import run_epoch, run_epoch_vectorized

    run_epoch(inp)  # compile / warm the scratch buffers
    t_kernel, out = _time(run_epoch, inp, repeats)
    t_numpy, ref = _time(run_epoch_vectorized, inp, baseline_repeats)
    same = not out.diff(ref)
    ratio = t_numpy / t_kernel
    note = f"{target}; median of {repeats}; bit-identical to numpy: {'yes' if same else 'NO'}"
    return [
        dict(benchmark=name, value=t_kernel * scale, unit=unit, baseline=t_numpy * scale,
             baseline_name=f"vectorised numpy, median of {baseline_repeats}", lower_is_better=True, note=note),
        dict(benchmark=f"{name}: speedup vs numpy", value=ratio, unit="x", baseline=None, baseline_name="",
             lower_is_better=False, note="target >= 10x"),
    ]


def _kernel_only(name: str, inp, repeats: int, note: str) -> dict:
    from consensus.yuma import run_epoch

    run_epoch(inp)
    t, _ = _time(run_epoch, inp, repeats)
    return dict(benchmark=name, value=t, unit="s/epoch", baseline=None, baseline_name="", lower_is_better=True,
                note=f"{note}; median of {repeats}")


_COMPILE_SCRIPT = textwrap.dedent("""
    import json, os, time
    os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})
    t0 = time.perf_counter()
    import numpy as np
    from consensus.yuma import run_epoch
    from tests.consensus._gen import dense_subnet
    t1 = time.perf_counter()
    for hyper in (dict(yuma3_enabled=True), dict(yuma3_enabled=True, liquid_alpha_enabled=True),
                  dict(yuma3_enabled=False), dict(bonds_penalty=30000)):
        run_epoch(dense_subnet(8, 0, validators=4, **hyper))
    t2 = time.perf_counter()
    print(json.dumps(dict(imports=t1 - t0, first_calls=t2 - t1)))
""")


def _compile_rows() -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="yuma-numba-cache-") as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=str(ROOT))
        env.pop("NUMBA_DISABLE_JIT", None)
        runs = []
        for _ in range(2):
            t0 = time.perf_counter()
            res = subprocess.run([sys.executable, "-c", _COMPILE_SCRIPT], env=env, cwd=ROOT, check=True,
                                 capture_output=True, text=True, timeout=900)
            wall = time.perf_counter() - t0
            runs.append((json.loads(res.stdout.strip().splitlines()[-1]), wall))
    (cold, cold_wall), (warm, warm_wall) = runs
    return [
        dict(benchmark="yuma kernel cold compile (all code paths)", value=cold["first_calls"], unit="s",
             baseline=None, baseline_name="", lower_is_better=True,
             note=f"empty NUMBA_CACHE_DIR; process wall {cold_wall:.1f} s incl. interpreter + imports"),
        dict(benchmark="yuma kernel cache-hit load (all code paths)", value=warm["imports"] + warm["first_calls"],
             unit="s", baseline=None, baseline_name="", lower_is_better=True,
             note=f"same cache, new process: imports {warm['imports']:.2f} s + first calls "
                  f"{warm['first_calls']:.2f} s; process wall {warm_wall:.1f} s"),
    ]


def bench() -> list[dict]:
    sys.path.insert(0, str(ROOT))
    from tests.consensus._gen import dense_subnet

    rows: list[dict] = []
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    with _one_core():
        rows += _case("yuma epoch 256 uids / 64 validators (Yuma3)", dense_subnet(256, 1, validators=64),
                      repeats=300, baseline_repeats=30, unit="ms/epoch", scale=1e3, target="target well under 5 ms")
        big = dense_subnet(4096, 2)
        rows += _case("yuma epoch 4096x4096 dense (Yuma3)", big, repeats=5, baseline_repeats=1,
                      unit="s/epoch", scale=1.0, target="target < 1.5 s on one core")
        big.yuma3_enabled = False
        rows.append(_kernel_only("yuma epoch 4096x4096 dense (classic Yuma)", big, 3, "no target"))
        big.yuma3_enabled = True
        big.liquid_alpha_enabled = True
        rows.append(_kernel_only("yuma epoch 4096x4096 dense (Yuma3 + liquid alpha)", big, 1,
                                 "no target; one sigmoid (exp series) per weight entry"))
        del big
    rows += _compile_rows()
    for r in rows:
        r["note"] = f"{r['note']}; load avg {load:.1f} at start"
    return rows


if __name__ == "__main__":  # pragma: no cover
    for row in bench():
        print(row)
