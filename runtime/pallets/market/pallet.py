"""The `Market` pallet object and the pallet's fixed limits (the tunables live in storage)."""
from __future__ import annotations

from runtime.frame.pallet import Pallet
from primitives.scale import U32, U64
from primitives.types import TAO
from runtime.pallets.market.types import Params

pallet = Pallet("Market", "pallet_market", docs=(
    "A compute marketplace: providers bid on tenants' orders in a reverse auction;",
    "leases are paid per block out of the tenant's escrow (a reserve), settled lazily.",
))

MiB = 1 << 20
GiB = 1 << 30
TiB = 1 << 40

MAX_GROUPS = pallet.constant("MaxGroups", U32, 8, "Groups (one order each) in one deployment.")
MAX_RESOURCES = pallet.constant("MaxResources", U32, 8, "Resource units in one group.")
MAX_ATTRIBUTES = pallet.constant("MaxAttributes", U32, 32, "Attributes of a provider or requirements of a group.")
MAX_ATTRIBUTE_KEY = pallet.constant("MaxAttributeKeyLen", U32, 64, "Bytes in an attribute key.")
MAX_ATTRIBUTE_VALUE = pallet.constant("MaxAttributeValueLen", U32, 128, "Bytes in an attribute value.")
MAX_HOST_URI = pallet.constant("MaxHostUriLen", U32, 256, "Bytes in a provider host URI.")
MAX_GROUP_NAME = pallet.constant("MaxGroupNameLen", U32, 64, "Bytes in a group name.")
MIN_CPU_MILLIS = pallet.constant("MinCpuMillis", U32, 10, "Smallest CPU request per replica (millicores).")
MAX_CPU_MILLIS = pallet.constant("MaxCpuMillis", U32, 384_000, "Largest CPU request per replica (millicores).")
MIN_MEMORY = pallet.constant("MinMemoryBytes", U64, MiB, "Smallest memory request per replica (bytes).")
MAX_MEMORY = pallet.constant("MaxMemoryBytes", U64, 2 * TiB, "Largest memory request per replica (bytes).")
MAX_STORAGE = pallet.constant("MaxStorageBytes", U64, 32 * TiB, "Largest storage request per replica (bytes).")
MAX_GPU_UNITS = pallet.constant("MaxGpuUnits", U32, 24, "Most GPUs per replica.")
MAX_REPLICAS = pallet.constant("MaxReplicas", U32, 50, "Most replicas of one resource unit.")

GPU_ATTRIBUTE = b"gpu"
"""Providers declare GPUs as attributes `gpu = <vendor>/<model>` (one per model offered)."""
WILDCARD = b"*"
BPS = 10_000

PALLET_ID = b"py/mrket"
TREASURY = (b"modl" + PALLET_ID).ljust(32, b"\0")
"""The default treasury: a keyless account (as `PalletId::into_account_truncating`)."""


def default_params() -> Params:
    return Params(
        min_deposit=1 * TAO, bid_min_deposit=TAO // 2, provider_deposit=10 * TAO, max_bids_per_order=20,
        bidding_window=10, order_timeout=1_800, settlement_period=300, take_rate_bps=200, treasury=TREASURY,
        max_tasks_per_block=1_000)
