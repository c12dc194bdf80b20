"""The `SubtensorModule` pallet object (index 7). Storage items are in storage.py and storage_dtao.py,
calls in calls.py, events in events.py, errors in errors.py, hooks in hooks.py, genesis in genesis.py."""
from __future__ import annotations

from runtime.frame.pallet import Pallet

pallet = Pallet("SubtensorModule", "pallet_subtensor", docs=(
    "Subnets, neurons, stake, weights and Yuma consensus epochs (after opentensor/subtensor).",))
