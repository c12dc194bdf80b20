"""The hyperparameter setters' shared rules: the origin checks and the value checks.

The setters themselves are named calls: AdminUtils' (index 19, `pallets/admin-utils/src/lib.rs`) in
`runtime/pallets/admin_utils/calls.py`, SubtensorModule's own owner-side `set_tempo` (139) and
`set_activity_cutoff_factor` (140) in `runtime/pallets/subtensor/calls.py`.
"owner" setters accept Root or the subnet owner's coldkey (`owner_or_root_on_subnet`), "subnet_owner"
only the owner's coldkey (`owner_on_subnet`), "root" setters Root only (`root_on_subnet`, sudo).
The owner rate limits and the admin freeze window of subtensor are not reproduced.
"""
from __future__ import annotations


from runtime.frame.context import BlockContext
from runtime.frame.dispatch import BadOrigin, Origin, ensure, ensure_root
from runtime.frame.pallet import CallWeight
from primitives.scale import U16

from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor.errors import Error
from runtime.pallets.subtensor.networks import ensure_subnet_owner_or_root, subnet_exists

SETTER_WEIGHT = CallWeight(15_000_000)
NETUID = ("netuid", U16, "NetUid")


def check_max_allowed_uids(state, netuid, value):
    ensure(value >= S.SubnetworkN.get(state, netuid) and value > 0, Error.InvalidValue)


def check_activity_cutoff_factor(state, netuid, value):
    ensure(value >= 1000, Error.ActivityCutoffTooLow)
    ensure(value <= 50_000, Error.InvalidValue)


def check_min_burn(state, netuid, value):
    ensure(value <= S.MaxBurn.get(state, netuid), Error.InvalidValue)


def check_max_burn(state, netuid, value):
    ensure(value >= S.MinBurn.get(state, netuid), Error.InvalidValue)


def check_bonds_moving_average(state, netuid, value):
    ensure(value <= 1_000_000, Error.InvalidValue)


def check_burn_increase_mult(state, netuid, value):
    ensure(value["bits"] >= 1 << 64, Error.InvalidValue)


MIN_TEMPO, MAX_TEMPO = 360, 50_400   # the bounds of the owner-side set_tempo (lib.rs MIN_TEMPO/MAX_TEMPO)


def check_owner_tempo(state, netuid, value):
    ensure(MIN_TEMPO <= value <= MAX_TEMPO, Error.TempoOutOfBounds)


def root_on_subnet(ctx: BlockContext, origin: Origin, netuid: int) -> None:
    """Root only; the subnet must exist."""
    ensure_root(origin)
    ensure(subnet_exists(ctx.state, netuid), Error.SubnetNotExists)


def owner_or_root_on_subnet(ctx: BlockContext, origin: Origin, netuid: int) -> None:
    """Root or the subnet owner's coldkey; the subnet must exist."""
    ensure_subnet_owner_or_root(ctx.state, origin, netuid)
    ensure(subnet_exists(ctx.state, netuid), Error.SubnetNotExists)


def owner_on_subnet(ctx: BlockContext, origin: Origin, netuid: int) -> None:
    """The subnet owner's coldkey only (not Root); the subnet must exist."""
    if not (origin.kind == "Signed" and S.SubnetOwner.get(ctx.state, netuid) == origin.who):
        raise BadOrigin()
    ensure(subnet_exists(ctx.state, netuid), Error.SubnetNotExists)


def do_set_alpha_values(ctx: BlockContext, origin: Origin, netuid: int, alpha_low: int, alpha_high: int) -> None:
    """`epoch/run_epoch.rs do_set_alpha_values`: liquid alpha on, high >= 1638, 1638 <= low <= high."""
    state = ctx.state
    ensure_subnet_owner_or_root(state, origin, netuid)
    ensure(subnet_exists(state, netuid), Error.SubnetNotExists)
    ensure(S.LiquidAlphaOn.get(state, netuid), Error.LiquidAlphaDisabled)
    ensure(alpha_high >= 1638, Error.AlphaHighTooLow)
    ensure(1638 <= alpha_low <= alpha_high, Error.AlphaLowOutOfRange)
    S.AlphaValues.insert(state, netuid, (alpha_low, alpha_high))
