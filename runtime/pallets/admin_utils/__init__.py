"""pallet_admin_utils (AdminUtils, index 19 as on subtensor): the hyperparameter setters.

Call names, indices and argument names are subtensor's (`pallets/admin-utils/src/lib.rs`), so
`btcli sudo set` and the bittensor SDK's sudo helpers work. The setters write SubtensorModule's
storage and deposit its `XxxSet` events, as upstream; "owner" setters accept Root or the subnet
owner's coldkey, the others Root only (`calls.py`; the shared rules in `runtime.pallets.subtensor.hyperparams`).
"""
from runtime.pallets.admin_utils.pallet import Error, pallet
from runtime.pallets.admin_utils import calls  # noqa: F401  (the calls register themselves)

__all__ = ["pallet", "Error"]
