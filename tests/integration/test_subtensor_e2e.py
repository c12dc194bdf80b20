"""SubtensorModule end to end: a dev node process, substrate-interface over WebSocket RPC, the agora CLI.

Register a subnet, 4 neurons, stake two validators, let an epoch hand out permits, set weights,
advance past the next epoch and read Incentive/Dividends/Emission, stakes and balances. A
non-validator's set_weights is refused with NeuronNoValidatorPermit and changes nothing.
"""
from __future__ import annotations

import time

import pytest
from substrateinterface import Keypair, SubstrateInterface

from tools.cli import main as agora
from tools.subtensor_cli import metagraph, submit
from tests.integration.nodeproc import NodeProcess

TAO = 10**9
ALICE, BOB, CHARLIE, DAVE, EVE = (Keypair.create_from_uri(f"//{n}") for n in ("Alice", "Bob", "Charlie", "Dave", "Eve"))
# the dev chain endows //Name//stash accounts: they serve as hotkeys
HOT = {name: Keypair.create_from_uri(f"//{name}//stash") for name in ("Alice", "Bob", "Charlie", "Dave", "Eve")}


@pytest.fixture(scope="module")
def subtensor_node(tmp_path_factory):
    node = NodeProcess(tmp_path_factory.mktemp("subtensor-node"), block_time_ms=500).start()
    yield node
    node.stop()


@pytest.fixture(scope="module")
def substrate(subtensor_node):
    s = SubstrateInterface(url=subtensor_node.url)
    yield s
    s.close()


def q(substrate, item, params=None):
    return substrate.query("SubtensorModule", item, params or []).value


def free(substrate, keypair) -> int:
    return substrate.query("System", "Account", [keypair.ss58_address]).value["data"]["free"]


def ok(receipt):
    assert receipt.is_success, receipt.error_message
    return receipt


def wait_for_epoch(substrate, netuid: int, timeout: float = 180.0) -> int:
    """Block until the subnet's LastEpochBlock moves; returns the new value. (The first epoch of a
    fresh checkout compiles the numba kernel inside block production: ~25 s.)"""
    start = q(substrate, "LastEpochBlock", [netuid])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = q(substrate, "LastEpochBlock", [netuid])
        if current != start:
            return current
        time.sleep(0.25)
    raise TimeoutError("no epoch")


def test_subnet_neurons_stake_weights_epoch(substrate, capsys):
    # --- a subnet (the CLI), then four neurons --------------------------------------------------
    url = substrate.url
    assert agora(["subnet", "register", "--url", url, "--suri", "//Alice", "--hotkey", "//Alice//stash"]) == 0
    assert "NetworkAdded" in capsys.readouterr().out
    netuid = 1
    assert q(substrate, "NetworksAdded", [netuid]) is True
    assert q(substrate, "SubnetOwner", [netuid]) == ALICE.ss58_address
    assert q(substrate, "Tempo", [netuid]) == 10                       # the dev spec's devnet tempo

    burn = q(substrate, "Burn", [netuid])
    before = free(substrate, DAVE)
    receipt = ok(submit(substrate, DAVE, "burned_register", {"netuid": netuid, "hotkey": HOT["Dave"].ss58_address}))
    burned = free(substrate, DAVE) - before
    assert -burned - receipt.total_fee_amount in range(burn // 2, burn + 1)   # the price decays per block
    for name, cold in (("Bob", BOB), ("Charlie", CHARLIE), ("Eve", EVE)):
        ok(submit(substrate, cold, "burned_register", {"netuid": netuid, "hotkey": HOT[name].ss58_address}))
    assert q(substrate, "SubnetworkN", [netuid]) == 5
    uid = {name: q(substrate, "Uids", [netuid, HOT[name].ss58_address]) for name in HOT}
    assert uid == {"Alice": 0, "Dave": 1, "Bob": 2, "Charlie": 3, "Eve": 4}

    # --- two validators stake (one through the CLI) --------------------------------------------
    before = free(substrate, BOB)
    receipt = ok(submit(substrate, BOB, "add_stake",
                        {"hotkey": HOT["Bob"].ss58_address, "netuid": netuid, "amount_staked": 1000 * TAO}))
    assert free(substrate, BOB) == before - 1000 * TAO - receipt.total_fee_amount
    assert agora(["stake", "add", "--url", url, "--netuid", "1", "--hotkey", "//Charlie//stash",
                  "--amount", "500", "--suri", "//Charlie"]) == 0
    assert 0 < q(substrate, "TotalHotkeyAlpha", [HOT["Charlie"].ss58_address, netuid]) < 500 * TAO  # alpha bought

    wait_for_epoch(substrate, netuid)                                   # permits go to staked UIDs
    permits = q(substrate, "ValidatorPermit", [netuid])
    assert permits[uid["Bob"]] and permits[uid["Charlie"]] and not permits[uid["Eve"]]

    # --- a non-validator is refused and nothing changes ----------------------------------------
    eve_row = q(substrate, "Weights", [netuid, uid["Eve"]])
    eve_update = q(substrate, "LastUpdate", [netuid])[uid["Eve"]]
    eve_balance = free(substrate, HOT["Eve"])
    receipt = submit(substrate, HOT["Eve"], "set_weights",
                     {"netuid": netuid, "dests": [uid["Dave"]], "weights": [1], "version_key": 0})
    assert receipt.is_success is False
    assert receipt.error_message["name"] == "NeuronNoValidatorPermit"
    assert q(substrate, "Weights", [netuid, uid["Eve"]]) == eve_row == []
    assert q(substrate, "LastUpdate", [netuid])[uid["Eve"]] == eve_update
    assert free(substrate, HOT["Eve"]) == eve_balance                  # set_weights pays no fee

    # --- validators weight Dave (and the owner's UID) -------------------------------------------
    ok(submit(substrate, HOT["Bob"], "set_weights",
              {"netuid": netuid, "dests": [uid["Dave"], 0], "weights": [3, 1], "version_key": 0}))
    assert agora(["weights", "set", "--url", url, "--netuid", "1", "--uids", f"{uid['Dave']}",
                  "--weights", "1.0", "--suri", "//Charlie//stash"]) == 0
    assert q(substrate, "Weights", [netuid, uid["Bob"]]) == [(uid["Dave"], 65535), (0, 21845)]

    dave_stake = q(substrate, "TotalHotkeyAlpha", [HOT["Dave"].ss58_address, netuid])
    alice_stake = q(substrate, "TotalHotkeyAlpha", [HOT["Alice"].ss58_address, netuid])
    bob_stake = q(substrate, "TotalHotkeyAlpha", [HOT["Bob"].ss58_address, netuid])
    issuance = q(substrate, "TotalIssuance")
    wait_for_epoch(substrate, netuid)

    incentive = q(substrate, "Incentive", [netuid])
    dividends = q(substrate, "Dividends", [netuid])
    emission = q(substrate, "Emission", [netuid])
    assert incentive[uid["Dave"]] > 0 and incentive[uid["Eve"]] == 0
    assert dividends[uid["Bob"]] > 0 and dividends[uid["Charlie"]] > 0 and dividends[uid["Dave"]] == 0
    assert emission[uid["Dave"]] > 0 and emission[uid["Bob"]] > 0 and emission[uid["Eve"]] == 0
    assert sum(emission) <= q(substrate, "BlockEmission") * 10
    # payouts in alpha: the miner's incentive, the validators' dividends and the owner cut become stake
    assert q(substrate, "TotalHotkeyAlpha", [HOT["Dave"].ss58_address, netuid]) > dave_stake
    assert q(substrate, "TotalHotkeyAlpha", [HOT["Bob"].ss58_address, netuid]) > bob_stake
    assert q(substrate, "TotalHotkeyAlpha", [HOT["Alice"].ss58_address, netuid]) > alice_stake
    assert q(substrate, "TotalIssuance") >= issuance

    # --- the metagraph as the CLI shows it -------------------------------------------------------
    mg = metagraph(substrate, netuid)
    assert mg["n"] == 5 and mg["Incentive"] == incentive and mg["hotkeys"][uid["Dave"]] == HOT["Dave"].ss58_address
    assert agora(["subnet", "show", "1", "--url", url]) == 0
    out = capsys.readouterr().out
    assert "Subnet 1" in out and "incentive" in out and "5GNJqT" in out      # Alice//stash, the owner hotkey


def test_cli_reports_module_errors(substrate, capsys):
    code = agora(["neuron", "register", "--url", substrate.url, "--netuid", "42", "--suri", "//Ferdie"])
    assert code == 1
    assert "SubnetNotExists" in capsys.readouterr().err
