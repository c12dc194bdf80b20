"""pallet_market: a compute marketplace (after Akash's orders, bids, leases and escrow).

Index 8. Providers register with a host URI and attributes; tenants create deployments
whose groups open orders; providers bid a price per block; the tenant accepts a bid, or
the order matches automatically to the lowest bid when its bidding window ends. Leases
pay per block out of the deployment's escrow (a reserve on the tenant), settled lazily
with a block-keyed schedule; a lease closes for insufficient funds at the block its
escrow runs dry. Value moves only through `pallets.balances`.

Modules: `types` (SCALE types), `storage`, `events`, `errors`, `escrow` (settlement and
scheduler), `lifecycle` (transitions), `calls`, `hooks`, `genesis`.
"""
from runtime.pallets.market.pallet import TAO, pallet  # noqa: F401
from runtime.pallets.market import types, storage, events, errors  # noqa: F401,E402
from runtime.pallets.market.errors import Error  # noqa: F401,E402
from runtime.pallets.market.events import *  # noqa: F401,F403,E402
from runtime.pallets.market import escrow, lifecycle, calls, hooks, genesis  # noqa: F401,E402
from runtime.pallets.market.pallet import TREASURY, default_params  # noqa: F401,E402
