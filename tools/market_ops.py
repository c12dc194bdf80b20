"""Market commands beyond the auction loop: a provider without its daemon, bids, withdrawals, history.

    agora provider register --pricing p.yaml --key //Bob     register (host_uri + attributes of the file)
    agora provider update   --pricing p.yaml --key //Bob     change host_uri / attributes
    agora provider deregister --key //Bob                    leave the market (no open bids or leases)
    agora market bid close 12 --key //Bob                    withdraw an open bid (deposit refunded)
    agora market lease withdraw 7 --key //Bob                a provider collects what the lease owes now
    agora market withdraw 7 --key //Bob                      the same (a tenant tops up: `deploy deposit`)
    agora market lease history [--from N] [--to M]           leases created and closed, from the events

Closed leases leave the chain's state (only events remember them), so `history` reads the
`LeaseCreated`/`LeaseClosed` events of a block range (default: the last 600 blocks), with a
progress bar on a terminal.
"""
from __future__ import annotations

import sys


def cmd_provider_register(args, client, load_pricing, update: bool) -> None:
    cfg = load_pricing(args.pricing)
    call = "update_provider" if update else "register_provider"
    client.submit(call, {"host_uri": cfg.host_uri, "attributes": cfg.attribute_list()})
    attributes = ", ".join(f"{a['key']}={a['value']}" for a in cfg.attribute_list()) or "no attributes"
    print(f"provider {client.address} {'updated' if update else 'registered'}: {cfg.host_uri} ({attributes})")


def cmd_provider_deregister(args, client) -> None:
    client.submit("deregister_provider", {})
    print(f"provider {client.address} deregistered; its open bids closed and every deposit refunded")


def cmd_bid_close(args, client) -> None:
    receipt = client.submit("close_bid", {"bid": args.bid})
    for event in client.market_events(receipt, "BidClosed"):
        print(f"bid {event['bid']} closed ({event['reason']}), signed by {client.address}; deposit refunded")


def cmd_lease_withdraw(args, client, format_tao) -> None:
    receipt = client.submit("withdraw_lease", {"lease": args.lease})
    paid = client.market_events(receipt, "LeasePaid")
    if not paid:
        print(f"lease {args.lease}: nothing due yet (signed by {client.address})")
    for event in paid:
        print(f"lease {event['lease']} paid {format_tao(event['amount'])} (take {format_tao(event['take'])}) up to "
              f"block {event['settled_to']}; signed by {client.address}")
    for event in client.market_events(receipt, "LeaseClosed"):
        print(f"lease {event['lease']} closed ({event['reason']})")


def lease_history(substrate, first: int, last: int, progress=None) -> dict[int, dict]:
    """Leases created or closed in blocks [first, last], from their events: lease -> what happened."""
    out: dict[int, dict] = {}
    for number in range(first, last + 1):
        block_hash = substrate.get_block_hash(number)
        if block_hash is not None:
            for event in substrate.get_events(block_hash):
                value = event.value
                if value["module_id"] != "Market":
                    continue
                a = value["attributes"]
                if value["event_id"] == "LeaseCreated":
                    out.setdefault(a["lease"], {}).update(created=number, provider=a["provider"], price=a["price"],
                                                          deployment=a["deployment"])
                elif value["event_id"] == "LeaseClosed":
                    out.setdefault(a["lease"], {}).update(closed=number, reason=a["reason"], paid=a["paid"])
        if progress is not None:
            progress()
    return out


def cmd_lease_history(args, client, table, format_tao) -> None:
    best = client.best_number()
    last = best if args.to is None else min(args.to, best)
    first = max(0, last - 599) if args.from_block is None else args.from_block
    if first > last:
        print(f"nothing to read: --from {first} is past block {last}")
        return
    if sys.stderr.isatty():
        from rich.progress import Progress

        with Progress(transient=True) as bar:
            task = bar.add_task(f"reading blocks {first}..{last}", total=last - first + 1)
            history = lease_history(client.substrate, first, last, lambda: bar.advance(task))
    else:
        history = lease_history(client.substrate, first, last)
    rows = [[lease, h.get("deployment", "?"), h.get("provider", "?"),
             f"{h['price']:,}" if "price" in h else "?", h.get("created", f"<{first}"),
             h.get("closed", "active"), h.get("reason", ""), format_tao(h["paid"]) if "paid" in h else ""]
            for lease, h in sorted(history.items())]
    table(f"leases created or closed in blocks {first}..{last}",
          ["lease", "deployment", "provider", "price (rao/block)", "created", "closed", "reason", "paid"], rows)


PARAM_FLAGS = {"compute_netuid": "the subnet whose Yuma consensus the market trusts (-1: none)",
               "min_consensus": "u16 consensus a provider needs for auto-match",
               "zero_consensus_epochs": "epochs at zero consensus before its leases close (0: never)",
               "slash_fraction": "Perbill of the bid deposit slashed on such a close",
               "bidding_window": "blocks an order takes bids", "order_timeout": "blocks before an order expires",
               "settlement_period": "blocks between scheduled settlements"}


def cmd_set_params(args, client, error) -> None:
    """Sudo(Market.set_params): the current parameters with the flags given changed."""
    from substrateinterface.exceptions import SubstrateRequestException

    params = dict(client.params())
    for name in PARAM_FLAGS:
        value = getattr(args, name)
        if value is not None:
            params[name] = None if (name == "compute_netuid" and value < 0) else value
    substrate = client.substrate
    call = substrate.compose_call("Sudo", "sudo", {"call": substrate.compose_call("Market", "set_params",
                                                                                 {"params": params})})
    try:
        receipt = substrate.submit_extrinsic(substrate.create_signed_extrinsic(call=call, keypair=client.keypair),
                                             wait_for_inclusion=True)
    except SubstrateRequestException as exc:
        raise error(f"set_params rejected by the pool: {exc}") from exc
    outcome = [e.value["attributes"] for e in receipt.triggered_events if e.value["event_id"] == "Sudid"]
    if not receipt.is_success or not outcome or "Ok" not in str(outcome[0]):
        raise error(f"set_params failed: {receipt.error_message or outcome}")
    changed = {k: params[k] for k in PARAM_FLAGS if getattr(args, k) is not None}
    print(f"market parameters set by {client.address}: " + ", ".join(f"{k}={v}" for k, v in changed.items()))


def add_params_command(sub, signing, run, error) -> None:
    p = sub.add_parser("set-params", parents=[signing], help="(sudo) change market parameters, e.g. the trusted subnet")
    for name, doc in PARAM_FLAGS.items():
        p.add_argument("--" + name.replace("_", "-"), dest=name, type=int, default=None, help=doc)
    p.set_defaults(run=run(lambda args, client: cmd_set_params(args, client, error)))
