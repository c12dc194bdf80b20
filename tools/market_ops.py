"""Market commands beyond the auction loop: a provider without its daemon, bids, withdrawals, history.

    agora provider register --pricing p.yaml --key //Bob     register (host_uri + attributes of the file)
    agora provider update   --pricing p.yaml --key //Bob     change host_uri / attributes
    agora provider deregister --key //Bob                    leave the market (no open bids or leases)
    agora market bid close 12 --key //Bob                    withdraw an open bid (deposit refunded)
    agora market lease withdraw 7 --key //Bob                a provider collects what the lease owes now
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
