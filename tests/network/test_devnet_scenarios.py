"""Four validators (+ an RPC full node) as real processes: agreement, crashes, partitions.

The tests share one devnet and run in order; each leaves all nodes running and
connected for the next.  Slots are 1 s.
"""
from __future__ import annotations

import pytest

from node.chaingen import transfer
from primitives.keys import Keypair
from tests.network.harness import Devnet, agree_up_to, common_finalized, wait_for

pytestmark = pytest.mark.integration

VALIDATORS = ["alice", "bob", "charlie", "dave"]


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    d = Devnet(tmp_path_factory.mktemp("devnet"), 4, rpc_node=True)
    try:
        d.start()
        yield d
    finally:
        d.stop()


@pytest.fixture(scope="module")
def finalized_log():
    """Every (number, hash) any node reported as finalized: none may ever be reverted."""
    return {}


def record_finalized(net: Devnet, log: dict) -> None:
    for node in net.running():
        number, h = node.finalized()
        assert log.setdefault(number, h) == h, f"two different blocks finalized at #{number}"


def assert_finalized_kept(net: Devnet, log: dict) -> None:
    for node in net.running():
        for number, h in log.items():
            if number <= node.finalized()[0]:
                assert node.hash_at(number) == h, f"{node.name}: finalized #{number} was reverted"


def all_finalized_at_least(net: Devnet, nodes, number: int):
    return lambda: all(net[n].finalized()[0] >= number for n in nodes)


def test_validators_agree_and_finality_grows(net, finalized_log):
    everyone = list(net.nodes)
    wait_for(lambda: all(net[n].status()["peers"] >= 3 for n in everyone), 30, "peers", net=net)
    wait_for(all_finalized_at_least(net, everyone, 3), 40, "first finalized blocks", net=net)
    f0 = common_finalized([net[n] for n in everyone])
    # finality keeps growing (how fast is a figure for `make bench`, not a pass/fail here)
    wait_for(all_finalized_at_least(net, everyone, f0 + 5), 60, "finality to grow", net=net)
    f1 = common_finalized([net[n] for n in everyone])
    for n in range(1, f1 + 1):
        assert agree_up_to([net[x] for x in everyone], n), f"nodes disagree at #{n}"
    # best heads agree (allow the head to move while we look)
    wait_for(lambda: len({net[x].rpc("chain_getHead") for x in everyone}) == 1, 20, "same best head", 0.05, net)
    health = net["rpc"].rpc("system_health")
    assert health["peers"] >= 4 and health["isSyncing"] is False
    peers = net["alice"].rpc("system_peers")
    assert {p["peerId"] for p in peers} >= {net[x].peer_id for x in ("bob", "charlie", "dave")}
    state = net["rpc"].rpc("system_syncState")
    assert state["currentBlock"] >= f1 and state["highestBlock"] >= state["currentBlock"]
    assert net["alice"].metric("substrate_sub_libp2p_peers_count") >= 3
    assert net["alice"].metric('substrate_block_height{status="finalized"}') >= f1
    block = net["bob"].rpc("chain_getBlock", [net["bob"].finalized()[1]])
    assert block["justifications"] and block["justifications"][0][0] == "FRNK"
    record_finalized(net, finalized_log)


def test_transfer_submitted_at_one_node_is_in_a_block_everywhere(net, finalized_log):
    genesis = bytes.fromhex(net["alice"].hash_at(0)[2:])
    dest = Keypair.from_uri("//Ferdie").public_key
    raw = transfer(genesis, Keypair.from_uri("//Eve"), dest, 123_456_789, 0)
    ext_hex = "0x" + raw.hex()
    start = net["charlie"].best()
    net["charlie"].rpc("author_submitExtrinsic", [ext_hex])

    def find(node):
        for n in range(start, node.best() + 1):
            h = node.hash_at(n)
            block = node.rpc("chain_getBlock", [h])
            if ext_hex in block["block"]["extrinsics"]:
                return n, h
        return None

    where = wait_for(lambda: find(net["charlie"]), 30, "the transfer in a block", net=net)
    wait_for(lambda: all(net[x].finalized()[0] >= where[0] for x in net.nodes), 30, "its block finalized", net=net)
    for name in net.nodes:
        assert find(net[name]) == where, f"{name} has the transfer elsewhere"
    record_finalized(net, finalized_log)


def test_one_validator_down_then_back(net, finalized_log):
    others = ["alice", "bob", "charlie", "rpc"]
    net["dave"].kill()
    f0 = common_finalized([net[n] for n in others])
    b0 = net["alice"].best()
    wait_for(all_finalized_at_least(net, others, f0 + 4), 40, "finality without dave", net=net)
    assert net["alice"].best() >= b0 + 3
    record_finalized(net, finalized_log)
    net["dave"].start().wait_rpc()
    target = net["alice"].best()
    wait_for(lambda: net["dave"].best() >= target and net["dave"].finalized()[0] >= f0 + 4, 40,
             "dave to sync back", net=net)
    wait_for(lambda: net["dave"].status()["peers"] >= 3, 20, "dave reconnected", net=net)
    fin = common_finalized([net[n] for n in net.nodes])
    wait_for(all_finalized_at_least(net, list(net.nodes), fin + 2), 30, "finality with dave back", net=net)
    record_finalized(net, finalized_log)
    assert_finalized_kept(net, finalized_log)


def test_two_validators_down_finality_stalls_then_resumes(net, finalized_log):
    alive = ["alice", "bob", "rpc"]
    net["charlie"].kill()
    net["dave"].kill()
    wait_for(lambda: all(net[n].status()["peers"] == 2 for n in alive), 30, "the survivors to see them go", net=net)
    # Charlie and Dave voted only for blocks they had seen, all at or below `known`: nothing the
    # two survivors author from now on can gather 3 of 4 votes, whatever rounds were in flight.
    known = max(net[n].best() for n in alive)
    b0 = net["alice"].best()
    wait_for(lambda: net["alice"].best() >= b0 + 4, 60, "blocks to continue with 2 of 4", net=net)
    for name in alive:
        assert net[name].finalized()[0] <= known, f"{name} finalized without a supermajority"
    record_finalized(net, finalized_log)
    net.start("charlie", "dave")
    best_now = net["alice"].best()
    wait_for(all_finalized_at_least(net, list(net.nodes), best_now), 60, "finality to resume", net=net)
    record_finalized(net, finalized_log)
    assert_finalized_kept(net, finalized_log)


def test_partition_then_heal(net, finalized_log):
    half_a, half_b = ["alice", "bob", "rpc"], ["charlie", "dave"]
    net.partition(half_a, half_b)
    wait_for(lambda: net["alice"].status()["peers"] == 2 and net["charlie"].status()["peers"] == 1, 30,
             "the partition", net=net)
    # From here no vote crosses: a block either half authors now has at most 2 of 4 votes, so
    # neither half finalizes past the highest block anyone had at the split.
    known = max(net[n].best() for n in net.nodes)
    b_a, b_b = net["alice"].best(), net["charlie"].best()
    wait_for(lambda: net["alice"].best() >= b_a + 3 and net["charlie"].best() >= b_b + 3, 60,
             "both halves to author", net=net)
    assert net["alice"].finalized()[0] <= known and net["charlie"].finalized()[0] <= known
    fork_at = min(net["alice"].best(), net["charlie"].best())
    assert net["alice"].hash_at(fork_at) != net["charlie"].hash_at(fork_at), "the halves did not fork"
    record_finalized(net, finalized_log)
    net.heal(half_a, half_b)
    wait_for(lambda: all(net[n].status()["peers"] >= 3 for n in net.nodes), 30, "reconnection", net=net)
    top = max(net["alice"].best(), net["charlie"].best())
    wait_for(all_finalized_at_least(net, list(net.nodes), top), 60, "finality after healing", net=net)
    fin = common_finalized([net[n] for n in net.nodes])
    for n in range(max(1, fin - 20), fin + 1):
        assert agree_up_to([net[x] for x in net.nodes], n), f"still forked at #{n}"
    record_finalized(net, finalized_log)
    assert_finalized_kept(net, finalized_log)
    assert any(net[n].metric("substrate_block_reorgs_total") > 0 for n in net.nodes), "nobody reorganized"


def test_whole_network_restart_resumes_finality(net, finalized_log):
    """Every node killed at once (kill -9) and restarted: nothing finalized is lost, finality resumes."""
    for node in net.nodes.values():
        node.kill()
    net.start()
    best = max(net[n].best() for n in net.nodes)
    wait_for(all_finalized_at_least(net, list(net.nodes), best + 2), 60, "finality after a full restart", net=net)
    record_finalized(net, finalized_log)
    assert_finalized_kept(net, finalized_log)
