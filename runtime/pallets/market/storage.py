"""Market storage. Closed objects are removed (events keep the history)."""
from __future__ import annotations

from primitives.hashing import Hasher
from primitives.scale import U32, U64, Vec, tuple_of
from primitives.types import AccountId

from runtime.pallets.market.pallet import default_params, pallet
from runtime.pallets.market.types import (BidType, DeploymentType, LeaseType, OrderType, Params, ParamsType,
                                          ProviderType, TaskType)

B128, T64 = Hasher.BLAKE2_128_CONCAT, Hasher.TWOX_64_CONCAT

ParamsStore = pallet.value("Params", ParamsType, docs="The market's tunable parameters.")
Providers = pallet.map("Providers", [(B128, AccountId)], ProviderType, docs="Registered providers.")
Deployments = pallet.map("Deployments", [(T64, U64)], DeploymentType, docs="Active deployments.")
Orders = pallet.map("Orders", [(T64, U64)], OrderType, docs="Open and active (leased) orders.")
OrderBids = pallet.map("OrderBids", [(T64, U64)], Vec(U64), default=[], docs="Open bids of an order, by id.")
Bids = pallet.map("Bids", [(T64, U64)], BidType, docs="Open bids.")
Leases = pallet.map("Leases", [(T64, U64)], LeaseType, docs="Active leases (id = the winning bid's id).")
ProviderBids = pallet.map("ProviderBids", [(B128, AccountId), (T64, U64)], U64,
                          docs="Open bids of a provider: (provider, bid) -> order.")
ProviderLeases = pallet.map("ProviderLeases", [(B128, AccountId), (T64, U64)], U64,
                            docs="Active leases of a provider: (provider, lease) -> deployment.")
NextDeploymentId = pallet.value("NextDeploymentId", U64, default=1, docs="Id of the next deployment.")
NextOrderId = pallet.value("NextOrderId", U64, default=1, docs="Id of the next order.")
NextBidId = pallet.value("NextBidId", U64, default=1, docs="Id of the next bid (and of its lease).")
Schedule = pallet.map("Schedule", [(T64, U32), (T64, U32)], TaskType,
                      docs="Work due at a block: (block, slot) -> task. Stale tasks are skipped.")
ScheduleLen = pallet.map("ScheduleLen", [(T64, U32)], U32, default=0, docs="Tasks scheduled at a block.")
ZeroConsensusEpochs = pallet.map("ZeroConsensusEpochs", [(B128, AccountId)], U32, default=0,
                                docs="Consecutive epochs of the compute subnet in which a provider's consensus was 0.")
ScheduleCursor = pallet.value("ScheduleCursor", tuple_of(U32, U32), default=(0, 0),
                              docs="(block, slot) of the next task to run; behind when a block hit MaxTasksPerBlock.")


def params(state) -> Params:
    value = ParamsStore.get(state)
    if value is None:
        return default_params()
    return value
