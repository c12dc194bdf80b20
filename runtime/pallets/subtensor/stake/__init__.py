"""Stake as alpha in per-hotkey share pools, bought and sold through the subnet pools: `pool` (share
pool), `core` (stake/unstake through the swap, validation), `calls` (the dispatchables)."""
