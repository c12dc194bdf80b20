"""pallet_subtensor (SubtensorModule): subnets, neurons, dynamic-TAO stake, weights, Yuma epochs, emission.

Index 7, as on Bittensor. Follows opentensor/subtensor at commit 14bc6f9f964b9cc362e9635dd110a487fa5d15a0
(2026-06-30): storage names, hashers, key order and value types, call indices and argument names,
error and event indices. A package of small modules:

- `types.py`        codecs (AxonInfo, PrometheusInfo, ChainIdentityV2, SubnetIdentityV3), upstream defaults
- `fixed.py`        substrate-fixed U64F64 / I64F64 / I96F32 / U96F32 as Python ints (bits)
- `storage.py`      the core storage items; `storage_dtao.py` the dynamic-TAO ones
                    (SubnetTAO, SubnetAlphaIn/Out, SubnetMovingPrice, Pending*Emission, TaoWeight, ...)
- `errors.py`, `events.py`  subtensor's Error enum (all variants) and events at upstream indices
- `swap.py`         the pool: constant product over protocol liquidity, FeeRate (Swap pallet) fee.
                    Pure: `quote_buy`, `quote_sell`, `price_bits`, `fee_amount`. On state:
                    `current_alpha_price(state, netuid)` (rao per alpha), `sim_swap_tao_for_alpha(state,
                    netuid, tao)` / `sim_swap_alpha_for_tao(state, netuid, alpha)` (SimSwapResult fields),
                    `swap_tao_for_alpha` / `swap_alpha_for_tao` (move reserves), `max_amount_add/remove`
- `stake/pool.py`   the per-(hotkey, netuid) alpha share pool (Alpha, TotalHotkeyShares, TotalHotkeyAlpha)
- `stake/core.py`   stake_into_subnet / unstake_from_subnet, validate_add/remove_stake, accounts, issuance sync
- `stake/calls.py`  add_stake 2, remove_stake 3, move_stake 85, transfer_stake 86, swap_stake 87,
                    add_stake_limit 88, remove_stake_limit 89, swap_stake_limit 90
- `networks.py`     register_network 59 / register_network_with_identity 79, lock cost, root (netuid 0)
- `neurons.py`      burned_register (the price buys alpha that is recycled), registration price, pruning
- `weights.py`      set_weights with every subtensor check; `commit_reveal.py` commit_weights 96 /
                    reveal_weights 97; `serving.py` serve_axon 4 / serve_prometheus 5;
                    `identity.py` set_identity 68 / set_subnet_identity 78
- `coinbase.py`     block emission with halvings, split by EMA price, pool injection, pending alpha
- `epoch.py`        gather inputs (alpha + TaoWeight-weighted root stake) -> Yuma kernel -> persist; scheduling
- `distribute.py`   the epoch payout: owner cut, incentives, alpha and root dividends, hotkey take
- `hyperparams.py`  the setters, declared as calls of the AdminUtils pallet (index 19)
- `pallet.py`       the pallet object; `calls.py` the remaining dispatchables; `hooks.py` on_initialize
                    (block_step) and on_finalize; `genesis.py` the genesis builder
- `validation.py`   pool-time rules for the fee-free weight calls (SubtensorTransactionExtension)
- `rpc_info/`       the runtime APIs (SubnetInfo, NeuronInfo, StakeInfo, Swap, ... RuntimeApi)

Value: TAO in pools is withdrawn from Balances and counted in `TotalStake` (== sum of SubnetTAO);
`SubtensorModule.TotalIssuance` is always `Balances.TotalIssuance + TotalStake`. Agora's deviations
from upstream (documented where they apply): swap fees stay in the pool instead of going to the block
author, new subnets trade and emit at once (no start_call / governance enable), root dividends are
claimed at once as RootClaimType::Swap, rounding remainders are recycled so alpha issuance is exact.
"""
from runtime.pallets.subtensor.pallet import pallet
from runtime.pallets.subtensor import errors, events, calls, hooks, genesis, validation  # noqa: F401  (declarations register themselves)
from runtime.pallets.subtensor.errors import Error

__all__ = ["pallet", "Error"]
