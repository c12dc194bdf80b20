"""`agora subnet|neuron|stake|weights`: SubtensorModule from the command line, over RPC.

    agora subnet register --suri //Alice --hotkey //Alice//hot
    agora subnet list
    agora subnet show 1
    agora neuron register --netuid 1 --suri //Bob --hotkey //Bob//hot
    agora stake add --netuid 1 --hotkey //Bob//hot --amount 100 --suri //Bob
    agora stake remove --netuid 1 --hotkey //Bob//hot --amount 10 --suri //Bob
    agora weights set --netuid 1 --uids 3,4 --weights 0.7,0.3 --suri //Bob//hot

Every command talks to a node (`--url`, default ws://127.0.0.1:9944) with substrate-interface;
`--suri` is the signer's secret URI (the coldkey, or the hotkey for `weights set`). Hotkeys may
be given as SS58 addresses or secret URIs. Amounts are in TAO (decimals allowed).
"""
from __future__ import annotations

import argparse
import decimal
import sys
from typing import Any

PALLET = "SubtensorModule"
DEFAULT_URL = "ws://127.0.0.1:9944"
RAO_PER_TAO = 10**9

__all__ = ["add_subtensor_commands", "metagraph", "submit"]


# --- client helpers (also used by tests) ---------------------------------------------------------
def connect(url: str):
    try:
        from substrateinterface import SubstrateInterface
    except ImportError:  # pragma: no cover
        raise SystemExit("error: substrate-interface is needed: pip install 'agora[test]'") from None
    try:
        return SubstrateInterface(url=url)
    except Exception as exc:  # connection refused, bad URL...
        raise SystemExit(f"error: cannot connect to {url}: {exc}") from None


def keypair(suri: str):
    from substrateinterface import Keypair

    try:
        return Keypair.create_from_uri(suri)
    except Exception as exc:  # operator input: one clear message, no traceback
        raise SystemExit(f"error: bad secret URI {suri!r}: {exc}") from None


def account(value: str) -> str:
    """An SS58 address, or the address of a secret URI (`//Bob//hot`, a mnemonic...)."""
    if value.startswith("/") or " " in value.strip():
        return keypair(value).ss58_address
    return value


def tao_to_rao(text: str) -> int:
    try:
        rao = decimal.Decimal(text) * RAO_PER_TAO
    except decimal.InvalidOperation:
        raise argparse.ArgumentTypeError(f"not an amount: {text!r}") from None
    if rao < 0 or rao != rao.to_integral_value():
        raise argparse.ArgumentTypeError(f"amount must be >= 0 with at most 9 decimals: {text!r}")
    return int(rao)


def fmt_tao(rao: int) -> str:
    return f"{decimal.Decimal(rao) / RAO_PER_TAO:,.9f}".rstrip("0").rstrip(".") + " τ"


def submit(substrate, signer, call_name: str, params: dict) -> Any:
    """Sign and submit a SubtensorModule call, wait for inclusion; returns the receipt."""
    call = substrate.compose_call(PALLET, call_name, params)
    extrinsic = substrate.create_signed_extrinsic(call=call, keypair=signer)
    return substrate.submit_extrinsic(extrinsic, wait_for_inclusion=True)


def _report(receipt, what: str) -> int:
    if receipt.is_success:
        print(f"✅ {what}: included in block {receipt.block_hash} (extrinsic {receipt.extrinsic_hash})")
        for event in receipt.triggered_events:
            value = event.value
            if value["module_id"] == PALLET:
                print(f"   {value['event_id']}: {value['attributes']}")
        return 0
    error = receipt.error_message or {}
    name = error.get("name", error) if isinstance(error, dict) else error
    docs = " ".join(error.get("docs", [])) if isinstance(error, dict) else ""
    print(f"❌ {what} failed: {name}" + (f" — {docs}" if docs else ""), file=sys.stderr)
    return 1


def _query(substrate, item: str, params: list | None = None):
    return substrate.query(PALLET, item, params or []).value


def subnets(substrate) -> list[int]:
    return sorted(key.value for key, added in substrate.query_map(PALLET, "NetworksAdded") if added.value)


def metagraph(substrate, netuid: int) -> dict:
    """The subnet's hyperparameters and per-UID vectors, read from storage."""
    n = _query(substrate, "SubnetworkN", [netuid])
    hotkeys = [_query(substrate, "Keys", [netuid, uid]) for uid in range(n)]
    vectors = {name: _query(substrate, name, [netuid]) for name in (
        "Incentive", "Dividends", "Consensus", "Trust", "ValidatorTrust", "Rank", "Emission", "ValidatorPermit",
        "Active", "LastUpdate", "PruningScores")}
    return {
        "netuid": netuid,
        "n": n,
        "exists": _query(substrate, "NetworksAdded", [netuid]),
        "owner": _query(substrate, "SubnetOwner", [netuid]),
        "owner_hotkey": _query(substrate, "SubnetOwnerHotkey", [netuid]),
        "tempo": _query(substrate, "Tempo", [netuid]),
        "burn": _query(substrate, "Burn", [netuid]),
        "pending_emission": sum(_query(substrate, name, [netuid]) for name in (
            "PendingServerEmission", "PendingValidatorEmission", "PendingRootAlphaDivs", "PendingOwnerCut")),
        "emission_per_block": _query(substrate, "SubnetTaoInEmission", [netuid]),
        "alpha_in": _query(substrate, "SubnetAlphaIn", [netuid]),
        "alpha_out": _query(substrate, "SubnetAlphaOut", [netuid]),
        "last_epoch": _query(substrate, "LastEpochBlock", [netuid]),
        "locked": _query(substrate, "SubnetLocked", [netuid]),
        "subnet_tao": _query(substrate, "SubnetTAO", [netuid]),
        "hotkeys": hotkeys,
        "coldkeys": [_query(substrate, "Owner", [hk]) for hk in hotkeys],
        "stake": [_query(substrate, "TotalHotkeyAlpha", [hk, netuid]) for hk in hotkeys],
        "block_at_registration": [_query(substrate, "BlockAtRegistration", [netuid, uid]) for uid in range(n)],
        **{name: list(values) + [None] * (n - len(values)) for name, values in vectors.items()},
    }


# --- commands -------------------------------------------------------------------------------------
def _console():
    from rich.console import Console

    # a terminal gets its own width; a pipe or a file gets the whole table instead of 80 wrapped columns
    return Console() if sys.stdout.isatty() else Console(width=220)


def _short(address: str) -> str:
    return address if len(address) < 14 else f"{address[:6]}…{address[-4:]}"


def _pct(value) -> str:
    return "-" if value is None else f"{value / 65535:.4f}"


def cmd_subnet_register(args) -> int:
    substrate = connect(args.url)
    signer = keypair(args.suri)
    hotkey = account(args.hotkey) if args.hotkey else signer.ss58_address
    return _report(submit(substrate, signer, "register_network", {"hotkey": hotkey}), "register_network")


def cmd_subnet_list(args) -> int:
    from rich.table import Table

    substrate = connect(args.url)
    table = Table(title="Subnets")
    for column in ("netuid", "owner", "UIDs", "tempo", "burn", "TAO", "TAO in/block", "pending alpha"):
        table.add_column(column, justify="right" if column != "owner" else "left")
    for netuid in subnets(substrate):
        table.add_row(str(netuid), _short(_query(substrate, "SubnetOwner", [netuid])),
                      f"{_query(substrate, 'SubnetworkN', [netuid])}/{_query(substrate, 'MaxAllowedUids', [netuid])}",
                      str(_query(substrate, "Tempo", [netuid])), fmt_tao(_query(substrate, "Burn", [netuid])),
                      fmt_tao(_query(substrate, "SubnetTAO", [netuid])),
                      fmt_tao(_query(substrate, "SubnetTaoInEmission", [netuid])),
                      fmt_tao(sum(_query(substrate, name, [netuid]) for name in (
                          "PendingServerEmission", "PendingValidatorEmission", "PendingRootAlphaDivs"))))
    _console().print(table)
    return 0


def cmd_subnet_show(args) -> int:
    from rich.table import Table

    substrate = connect(args.url)
    mg = metagraph(substrate, args.netuid)
    if not mg["exists"]:
        print(f"error: subnet {args.netuid} does not exist", file=sys.stderr)
        return 1
    title = (f"Subnet {mg['netuid']}  owner {_short(mg['owner'])}  tempo {mg['tempo']}  "
             f"last epoch #{mg['last_epoch']}  burn {fmt_tao(mg['burn'])}  "
             f"emission {fmt_tao(mg['emission_per_block'])}/block  pending {fmt_tao(mg['pending_emission'])}")
    table = Table(title=title)
    columns = ("UID", "hotkey", "coldkey", "stake", "rank", "trust", "consensus", "incentive", "dividends",
               "vtrust", "emission", "VP", "active", "updated")
    for column in columns:
        table.add_column(column, justify="left" if column in ("hotkey", "coldkey") else "right")
    for uid in range(mg["n"]):
        owner_mark = " ★" if mg["hotkeys"][uid] == mg["owner_hotkey"] else ""
        table.add_row(
            str(uid), _short(mg["hotkeys"][uid]) + owner_mark, _short(mg["coldkeys"][uid]), fmt_tao(mg["stake"][uid]),
            _pct(mg["Rank"][uid]), _pct(mg["Trust"][uid]), _pct(mg["Consensus"][uid]), _pct(mg["Incentive"][uid]),
            _pct(mg["Dividends"][uid]), _pct(mg["ValidatorTrust"][uid]),
            "-" if mg["Emission"][uid] is None else fmt_tao(mg["Emission"][uid]),
            "✔" if mg["ValidatorPermit"][uid] else "", "✔" if mg["Active"][uid] else "",
            str(mg["LastUpdate"][uid] if mg["LastUpdate"][uid] is not None else "-"))
    _console().print(table)
    return 0


def cmd_neuron_register(args) -> int:
    substrate = connect(args.url)
    signer = keypair(args.suri)
    hotkey = account(args.hotkey) if args.hotkey else signer.ss58_address
    return _report(submit(substrate, signer, "burned_register", {"netuid": args.netuid, "hotkey": hotkey}),
                   "burned_register")


def cmd_stake(args) -> int:
    substrate = connect(args.url)
    signer = keypair(args.suri)
    if args.stake_command == "add":
        params = {"hotkey": account(args.hotkey), "netuid": args.netuid, "amount_staked": args.amount}
        return _report(submit(substrate, signer, "add_stake", params), "add_stake")
    params = {"hotkey": account(args.hotkey), "netuid": args.netuid, "amount_unstaked": args.amount}
    return _report(submit(substrate, signer, "remove_stake", params), "remove_stake")


def _numbers(values: list[str]) -> list[str]:
    return [part for value in values for part in value.replace(",", " ").split()]


def weights_to_u16(values: list[str]) -> list[int]:
    """Integers are sent as they are (u16); decimals are scaled so the largest becomes 65535."""
    if all(v.isdigit() for v in values):
        ints = [int(v) for v in values]
        if max(ints, default=0) > 65535:
            raise SystemExit("error: integer weights are u16 (0..65535)")
        return ints
    try:
        decimals = [decimal.Decimal(v) for v in values]
    except decimal.InvalidOperation:
        raise SystemExit(f"error: weights must be numbers: {values}") from None
    if any(d < 0 for d in decimals):
        raise SystemExit("error: weights must be >= 0")
    top = max(decimals, default=decimal.Decimal(0))
    if top == 0:
        return [0] * len(decimals)
    return [int((d / top * 65535).to_integral_value(rounding=decimal.ROUND_HALF_UP)) for d in decimals]


def cmd_weights_set(args) -> int:
    uids = [int(u) for u in _numbers(args.uids)]
    weights = weights_to_u16(_numbers(args.weights))
    if len(uids) != len(weights):
        raise SystemExit(f"error: {len(uids)} uids but {len(weights)} weights")
    substrate = connect(args.url)
    signer = keypair(args.suri)
    params = {"netuid": args.netuid, "dests": uids, "weights": weights, "version_key": args.version_key}
    return _report(submit(substrate, signer, "set_weights", params), "set_weights")


# --- parsers --------------------------------------------------------------------------------------
def _common(p: argparse.ArgumentParser, *, signer: str | None = None) -> None:
    p.add_argument("--url", default=DEFAULT_URL, help=f"node WebSocket RPC endpoint (default {DEFAULT_URL})")
    if signer:
        p.add_argument("--suri", required=True, help=signer)


def add_subtensor_commands(subparsers) -> None:
    """Register `subnet`, `neuron`, `stake` and `weights` on the `agora` sub-parsers."""
    subnet = subparsers.add_parser("subnet", help="register, list and show subnets (SubtensorModule)")
    sub = subnet.add_subparsers(dest="subnet_command", metavar="{register,list,show}", required=True)
    p = sub.add_parser("register", help="register a subnet (locks the current lock cost)")
    _common(p, signer="owner coldkey secret URI, e.g. //Alice")
    p.add_argument("--hotkey", default=None, help="owner hotkey (SS58 or secret URI); default: the coldkey")
    p.set_defaults(run=cmd_subnet_register)
    p = sub.add_parser("list", help="all subnets")
    _common(p)
    p.set_defaults(run=cmd_subnet_list)
    p = sub.add_parser("show", help="a subnet's metagraph as a table")
    p.add_argument("netuid", type=int)
    _common(p)
    p.set_defaults(run=cmd_subnet_show)

    neuron = subparsers.add_parser("neuron", help="register neurons (SubtensorModule)")
    sub = neuron.add_subparsers(dest="neuron_command", metavar="{register}", required=True)
    p = sub.add_parser("register", help="burned registration of a hotkey on a subnet")
    p.add_argument("--netuid", type=int, required=True)
    p.add_argument("--hotkey", default=None, help="hotkey (SS58 or secret URI); default: the coldkey")
    _common(p, signer="coldkey secret URI (pays the burn)")
    p.set_defaults(run=cmd_neuron_register)

    stake = subparsers.add_parser("stake", help="add or remove stake (SubtensorModule)")
    sub = stake.add_subparsers(dest="stake_command", metavar="{add,remove}", required=True)
    for name, text in (("add", "stake TAO from the coldkey onto a hotkey"), ("remove", "unstake back to the coldkey")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--netuid", type=int, required=True)
        p.add_argument("--hotkey", required=True, help="hotkey (SS58 or secret URI)")
        p.add_argument("--amount", type=tao_to_rao, required=True, help="amount in TAO (e.g. 12.5)")
        _common(p, signer="coldkey secret URI")
        p.set_defaults(run=cmd_stake)

    weights = subparsers.add_parser("weights", help="set weights (SubtensorModule)")
    sub = weights.add_subparsers(dest="weights_command", metavar="{set}", required=True)
    p = sub.add_parser("set", help="set the signing hotkey's weights on a subnet")
    p.add_argument("--netuid", type=int, required=True)
    p.add_argument("--uids", nargs="+", required=True, help="destination UIDs (space or comma separated)")
    p.add_argument("--weights", nargs="+", required=True,
                   help="weights: u16 integers, or decimals (scaled so the largest is 65535)")
    p.add_argument("--version-key", type=int, default=0)
    _common(p, signer="hotkey secret URI (a validator's hotkey)")
    p.set_defaults(run=cmd_weights_set)
