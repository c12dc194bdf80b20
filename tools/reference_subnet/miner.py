"""A reference miner: serves its axon on the chain and answers challenges (or, lazy, answers wrong).

    python -m tools.reference_subnet.miner --network URL --netuid N --role honest|lazy --port P --wallet-path DIR
"""
# no `from __future__ import annotations`: Axon.attach reads the forward function's annotations as classes

import argparse
import threading

import bittensor as bt

from tools.reference_subnet.protocol import MINER_HOST, Challenge, solve
from tools.reference_subnet.wallets import wallet_for


def honest_forward(synapse: Challenge) -> Challenge:
    synapse.answer = solve(synapse.challenge)
    return synapse


def lazy_forward(synapse: Challenge) -> Challenge:
    synapse.answer = "0" * 64
    return synapse


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--network", default="ws://127.0.0.1:9944")
    p.add_argument("--netuid", type=int, required=True)
    p.add_argument("--role", choices=("honest", "lazy"), default="honest")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--wallet-path", required=True)
    args = p.parse_args(argv)

    wallet = wallet_for(args.role, args.wallet_path)
    subtensor = bt.Subtensor(network=args.network)
    axon = bt.Axon(wallet=wallet, ip=MINER_HOST, port=args.port, external_ip=MINER_HOST, external_port=args.port)
    axon.attach(forward_fn=honest_forward if args.role == "honest" else lazy_forward)
    served = subtensor.serve_axon(args.netuid, axon)
    if not served.success:   # still serve: the validator can be told the endpoint directly
        print(f"miner {args.role}: serve_axon failed ({served.message}); serving off-chain", flush=True)
    axon.start()
    print(f"miner {args.role}: serving on {MINER_HOST}:{args.port}", flush=True)
    try:
        threading.Event().wait()      # until the process is stopped
    except KeyboardInterrupt:
        pass
    finally:
        axon.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
