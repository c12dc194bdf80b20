"""`agora provider join-subnet`: register the provider's account as its own hotkey on the compute
subnet (`burned_register(compute_netuid, hotkey=<provider>)`, signed and paid by the provider), which
is how the market finds its Yuma consensus (`runtime/pallets/market/trust.py`)."""
from __future__ import annotations

import os
import sys
import time

DEFAULT_URL = "ws://127.0.0.1:9944"


def join_subnet(url: str, key: str, netuid: int | None = None) -> tuple[int, int, bool]:
    """(netuid, uid, newly registered). Raises RuntimeError with the chain's reason on failure."""
    from substrateinterface import Keypair, SubstrateInterface

    substrate = SubstrateInterface(url=url)
    try:
        keypair = Keypair.create_from_uri(key)
        if netuid is None:
            netuid = substrate.query("Market", "Params").value["compute_netuid"]
            if netuid is None:
                raise RuntimeError("the market has no compute subnet (Market.Params.compute_netuid); give --netuid")
        uid = substrate.query("SubtensorModule", "Uids", [netuid, keypair.ss58_address]).value
        if uid is not None:
            return netuid, uid, False
        call = substrate.compose_call("SubtensorModule", "burned_register",
                                      {"netuid": netuid, "hotkey": keypair.ss58_address})
        receipt = _submit(substrate, call, keypair)
        if not receipt.is_success:
            error = receipt.error_message or {}
            raise RuntimeError(f"burned_register failed: {error.get('name', error) if isinstance(error, dict) else error}")
        uid = substrate.query("SubtensorModule", "Uids", [netuid, keypair.ss58_address]).value
        return netuid, uid, True
    finally:
        substrate.close()


def _submit(substrate, call, keypair, tries: int = 5):
    """Submit and wait for inclusion; a transaction of the same account in flight (the provider bot
    registering, say) takes our nonce: sign again with the next one."""
    from substrateinterface.exceptions import SubstrateRequestException

    for attempt in range(tries):
        try:
            return substrate.submit_extrinsic(substrate.create_signed_extrinsic(call=call, keypair=keypair),
                                              wait_for_inclusion=True)
        except SubstrateRequestException as exc:
            if attempt == tries - 1 or not any(s in str(exc) for s in ("Priority is too low", "Stale", "1014")):
                raise RuntimeError(f"burned_register rejected: {exc}") from None
            time.sleep(1.5)


def cmd_join(args) -> int:
    try:
        netuid, uid, new = join_subnet(args.url, args.key, args.netuid)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{'registered' if new else 'already registered'} on compute subnet {netuid} as UID {uid}")
    return 0


def add_join_command(sub) -> None:
    """Add `join-subnet` to the `agora provider` sub-parsers."""
    p = sub.add_parser("join-subnet", help="register the provider's account as a hotkey on the compute subnet")
    p.add_argument("--url", default=os.environ.get("AGORA_URL", DEFAULT_URL), help=f"node WebSocket RPC ({DEFAULT_URL})")
    p.add_argument("--key", required=True, help="the provider's secret URI, e.g. //Bob (pays the burn)")
    p.add_argument("--netuid", type=int, default=None, help="the subnet (default: Market.Params.compute_netuid)")
    p.set_defaults(run=cmd_join)
