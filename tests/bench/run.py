"""`make bench`: run every tests/bench/bench_*.py and print one table.

Each module exposes `bench() -> list[dict]`; a row has
  benchmark (str), value (float), unit (str),
  and optionally baseline (float, same unit, measured in the same run), baseline_name (str), note (str).
A ratio column is derived: value / baseline (or baseline / value when `lower_is_better` is set in the row).
"""
from __future__ import annotations

import importlib
import pathlib
import sys
import time
import traceback

from rich.console import Console
from rich.table import Table


def _ratio(row: dict) -> str:
    base = row.get("baseline")
    if not base:
        return ""
    value = row["value"]
    if row.get("lower_is_better"):
        return f"{base / value:.1f}x" if value else ""
    return f"{value / base:.2f}x"


def main(argv: list[str]) -> int:
    here = pathlib.Path(__file__).parent
    sys.path.insert(0, str(here.parent.parent))
    only = set(argv)
    modules = sorted(p.stem for p in here.glob("bench_*.py"))
    table = Table(title="Agora benchmarks (this machine, this run)")
    for col in ("benchmark", "value", "unit", "baseline", "ratio", "note"):
        table.add_column(col)
    failed = 0
    for name in modules:
        if only and name.removeprefix("bench_") not in only and name not in only:
            continue
        started = time.perf_counter()
        try:
            rows = importlib.import_module(f"tests.bench.{name}").bench()
        except Exception:
            traceback.print_exc()
            failed += 1
            continue
        for row in rows:
            base = row.get("baseline")
            table.add_row(row["benchmark"], f"{row['value']:,.3f}".rstrip("0").rstrip("."), row["unit"],
                          "" if base is None else f"{base:,.3f}".rstrip("0").rstrip(".") + f" ({row.get('baseline_name', 'baseline')})",
                          _ratio(row), row.get("note", ""))
        print(f"[{name}] {time.perf_counter() - started:.1f}s", file=sys.stderr)
    Console(width=200).print(table)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
