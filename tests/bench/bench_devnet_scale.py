"""A devnet of 8 validators on this machine (local processes, 2 s slots, idle chain).

Rows: block time jitter and production-to-finality p90 seen at one validator (target: p90 under
one slot), missed slots, and idle CPU per validator (target: under 0.03 of a core) against the
same devnet with the previous vote gossip (every vote relayed to every peer, everything resent
every 2 slots), measured in the same run.  More validators: `python -m tools.devnet_scale`.
"""
from __future__ import annotations

from tools.devnet_scale import measure

VALIDATORS = 8
SECONDS = 40


def bench() -> list[dict]:
    new = measure(VALIDATORS, SECONDS)
    old = measure(VALIDATORS, SECONDS, flood_gossip=True)
    note = f"{VALIDATORS} validators, {SECONDS}s, 2 s slots"
    return [
        {"benchmark": "devnet: block time jitter (stdev of arrivals)", "value": new["block_jitter_ms"], "unit": "ms",
         "baseline": old["block_jitter_ms"], "baseline_name": "flood gossip", "lower_is_better": True, "note": note},
        {"benchmark": "devnet: production -> finality p90", "value": new["finality_delay_ms_p90"], "unit": "ms",
         "baseline": old["finality_delay_ms_p90"], "baseline_name": "flood gossip", "lower_is_better": True,
         "note": "target < 2000 ms (1 slot)"},
        {"benchmark": "devnet: missed slots", "value": new["missed_slots"], "unit": "slots",
         "baseline": old["missed_slots"], "baseline_name": "flood gossip", "note": note},
        {"benchmark": "devnet: idle CPU per validator", "value": new["cpu_per_node"], "unit": "cores",
         "baseline": old["cpu_per_node"], "baseline_name": "flood gossip", "lower_is_better": True,
         "note": "target < 0.03 core"},
    ]
