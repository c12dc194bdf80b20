"""pallet_subtensor (SubtensorModule): subnets, neurons, stake, weights, Yuma epochs and TAO emission.

Index 7, as on Bittensor. A package of small modules:

- `types.py`      codecs, upstream defaults (`SubnetDefaults`)
- `storage.py`    the pallet object and every storage item (subtensor's names and hashers)
- `errors.py`     subtensor's Error enum (all variants, upstream indices)
- `events.py`     events at subtensor's indices
- `staking.py`    add_stake / remove_stake, stake bookkeeping, TotalIssuance sync
- `networks.py`   register_network, lock cost (doubling + linear decay), new-subnet defaults
- `neurons.py`    burned_register, registration price (half-life decay + per-registration bump), pruning
- `weights.py`    set_weights with every subtensor check, in order
- `emission.py`   block emission with halvings, per-subnet split, epoch payouts
- `epoch.py`      gather epoch inputs -> consensus.yuma kernel -> persist outputs; scheduling
- `hyperparams.py` AdminUtils-style setters (Root or subnet owner)
- `calls.py`      the dispatchables, hooks (on_initialize = block_step) and genesis builder
- `validation.py` pool-time rules for the fee-free weight calls (SubtensorTransactionExtension)

Value: stake and subnet locks are withdrawn from Balances (its TotalIssuance falls) and counted in
`TotalStake`; emission is minted only when paid out. `SubtensorModule.TotalIssuance` is always
`Balances.TotalIssuance + TotalStake` (re-synced by every value-moving call and at every block end).
"""
from runtime.pallets.subtensor.storage import pallet
from runtime.pallets.subtensor import errors, events, calls, validation  # noqa: F401  (declarations register themselves)
from runtime.pallets.subtensor.errors import Error

__all__ = ["pallet", "Error"]
