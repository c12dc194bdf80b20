"""Drives the Bittensor SDK (bittensor 10.5.0, run with .venv-bt's python) through a subnet's life against a
node and prints one JSON line with what the SDK reported, for tests/integration/test_bittensor_sdk.py to check
against chain storage read independently:

    python tests/integration/clients/bt_sdk_driver.py --network ws://127.0.0.1:PORT --wallet-path DIR

get_balance -> transfer -> register_subnet -> all_subnets / subnet(n) -> burned_register (validator + 2 miners)
-> add_stake -> get_stake -> metagraph -> set_weights -> get_next_epoch_start_block -> metagraph after the epoch.
"""
from __future__ import annotations

import argparse
import json
import time

import bittensor as bt
from bittensor.utils.balance import Balance
from bittensor_wallet import Wallet

#: role -> (coldkey dev URI, hotkey URI). Eve owns the subnet; Ferdie receives the transfer.
ROLES = {"owner": ("//Eve", "//Eve//owner"), "validator": ("//Alice", "//Alice//sdkval"),
         "weighted": ("//Bob", "//Bob//sdkminer"), "unweighted": ("//Charlie", "//Charlie//sdkminer")}
TRANSFER_TAO = 3
STAKE_TAO = 50
EPOCH_TIMEOUT_S = 120


def wallet_for(role: str, path: str) -> Wallet:
    cold, hot = ROLES[role]
    wallet = Wallet(name=f"sdk-{role}", hotkey="default", path=path)
    wallet.create_coldkey_from_uri(cold, use_password=False, overwrite=True, suppress=True)
    wallet.create_hotkey_from_uri(hot, use_password=False, overwrite=True, suppress=True)
    return wallet


def step(response, what: str) -> dict:
    if not response.success:
        raise SystemExit(f"{what} failed: {response.message}")
    return {"success": True, "message": str(response.message)}


def wait_past(subtensor: bt.Subtensor, block: int) -> int:
    deadline = time.monotonic() + EPOCH_TIMEOUT_S
    while time.monotonic() < deadline:
        current = subtensor.get_current_block()
        if current > block:
            return current
        time.sleep(0.25)
    raise SystemExit(f"block {block} not reached in {EPOCH_TIMEOUT_S} s")


def run(network: str, path: str) -> dict:
    wallets = {role: wallet_for(role, path) for role in ROLES}
    st = bt.Subtensor(network=network)
    out: dict = {}
    validator = wallets["validator"]
    dest = bt.Keypair.create_from_uri("//Ferdie").ss58_address

    out["balance_before"] = {"alice": st.get_balance(validator.coldkeypub.ss58_address).rao,
                             "ferdie": st.get_balance(dest).rao}
    out["transfer"] = step(st.transfer(validator, dest, Balance.from_tao(TRANSFER_TAO)), "transfer")
    out["balance_after"] = {"alice": st.get_balance(validator.coldkeypub.ss58_address).rao,
                            "ferdie": st.get_balance(dest).rao}

    before = set(st.get_all_subnets_netuid())
    out["register_subnet"] = step(st.register_subnet(wallets["owner"]), "register_subnet")
    netuid = max(set(st.get_all_subnets_netuid()) - before)
    out["netuid"] = netuid
    out["all_subnets"] = sorted(int(s.netuid) for s in st.all_subnets())
    block = out["subnet_block"] = st.get_current_block()
    info = st.subnet(netuid, block=block)
    out["subnet"] = {"netuid": int(info.netuid), "owner_coldkey": info.owner_coldkey,
                     "owner_hotkey": info.owner_hotkey, "tempo": int(info.tempo),
                     "tao_in": info.tao_in.rao, "alpha_in": info.alpha_in.rao, "symbol": info.symbol}

    for role in ("validator", "weighted", "unweighted"):
        out[f"burned_register_{role}"] = step(st.burned_register(wallets[role], netuid), f"burned_register {role}")
    hotkey = validator.hotkey.ss58_address
    out["add_stake"] = step(st.add_stake(validator, netuid, hotkey, Balance.from_tao(STAKE_TAO)), "add_stake")
    block = out["get_stake_block"] = st.get_current_block()
    out["get_stake"] = st.get_stake(validator.coldkeypub.ss58_address, hotkey, netuid, block=block).rao

    mg = st.metagraph(netuid)
    out["metagraph"] = {"n": int(mg.n), "hotkeys": list(mg.hotkeys), "coldkeys": list(mg.coldkeys)}
    uid = {role: mg.hotkeys.index(wallets[role].hotkey.ss58_address) for role in ("validator", "weighted", "unweighted")}
    out["uids"] = uid
    out["set_weights"] = step(st.set_weights(validator, netuid, uids=[uid["weighted"]], weights=[1.0],
                                             wait_for_inclusion=True, wait_for_finalization=False), "set_weights")
    block = out["next_epoch_query_block"] = st.get_current_block()
    next_epoch = st.get_next_epoch_start_block(netuid, block=block)
    out["next_epoch_start_block"] = next_epoch
    block = out["block_after_epoch"] = wait_past(st, next_epoch)
    mg = st.metagraph(netuid, lite=False, block=block)
    out["after_epoch"] = {
        "incentive": {role: float(mg.incentive[u]) for role, u in uid.items()},
        "dividends": {role: float(mg.dividends[u]) for role, u in uid.items()},
        "validator_weights": [[int(a), int(b)] for a, b in mg.neurons[uid["validator"]].weights],
    }
    st.close()
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--network", required=True)
    p.add_argument("--wallet-path", required=True)
    args = p.parse_args()
    print(json.dumps(run(args.network, args.wallet_path)), flush=True)


if __name__ == "__main__":
    main()
