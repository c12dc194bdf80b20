"""`agora load` against a real dev node: what it reports matches what the chain holds."""
from __future__ import annotations

import json
import time
import subprocess
import sys

from substrateinterface import Keypair

from tests.integration.nodeproc import REPO, rpc
from tools.load import DEV_SENDERS


def _nonces(port: int) -> dict[str, int]:
    return {uri: rpc(port, "system_accountNextIndex", [Keypair.create_from_uri(uri).ss58_address])["result"]
            for uri in DEV_SENDERS}


def test_load_reports_what_the_chain_finalized(dev_node, tmp_path):
    before = _nonces(dev_node.rpc_port)
    out = tmp_path / "load.json"
    proc = subprocess.run([sys.executable, "-m", "tools", "load", "--url", dev_node.url, "--seconds", "8",
                           "--rate", "150", "--connections", "3", "--drain", "60", "--json", str(out),
                           "--presign", "600"],   # about half of what it submits: then it signs as it goes
                          cwd=REPO, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "signing 600 transfers ahead" in proc.stderr
    assert "finalized" in proc.stdout and "latency p50" in proc.stdout   # the table
    summary = json.loads(out.read_text())
    assert summary["submitted"] > 100
    assert summary["accepted"] == summary["submitted"] and summary["rejected"] == {}
    assert summary["finalized"] == summary["included"] == summary["accepted"] and summary["lost"] == 0
    assert summary["failed"] == 0 and summary["failed_errors"] == {} and summary["unread_events"] == 0
    assert summary["dropped"] == {} and summary["kinds"]["transfer"]["finalized"] == summary["finalized"]
    assert summary["accepted_per_s"] > 0 and summary["finalized_per_s"] > 0
    lat = summary["latency_finalized_s"]
    assert 0 < lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"]
    # every transfer it counted as finalized is one nonce step of a sender on chain
    after = _nonces(dev_node.rpc_port)
    assert sum(after[u] - before[u] for u in DEV_SENDERS) == summary["finalized"]


def _weight_rows(port: int, netuid: int) -> dict[int, int]:
    """uid -> length of its Weights row on the subnet (mechanism 0), from storage at the best block."""
    from primitives.hashing import storage_prefix
    from primitives.scale import decode_compact

    prefix = "0x" + (storage_prefix("SubtensorModule", "Weights") + netuid.to_bytes(2, "little")).hex()
    keys = rpc(port, "state_getKeysPaged", [prefix, 1000])["result"]
    rows = {}
    for key, value in zip(keys, rpc(port, "state_queryStorageAt", [keys])["result"][0]["changes"]):
        assert key == value[0]
        rows[int.from_bytes(bytes.fromhex(key[-4:]), "little")] = decode_compact(bytes.fromhex(value[1][2:]), 0)[0]
    return rows


def test_load_mix_tracks_every_transaction_and_weights_land(dev_node, tmp_path):
    """Transfers, set_weights from 64 permitted validators of a subnet the load sets up, and market bids:
    every accepted transaction ends finalized or dropped with a reason; none is lost."""
    out = tmp_path / "mix.json"
    proc = subprocess.run([sys.executable, "-m", "tools", "load", "--url", dev_node.url, "--url", dev_node.url,
                           "--seconds", "8", "--rate", "120", "--connections", "3", "--drain", "40",
                           "--mix", "transfer=80,weights=10,bid=10", "--accounts", "6", "--validators", "64",
                           "--providers", "6", "--json", str(out)],
                          cwd=REPO, capture_output=True, text=True, timeout=150)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "lost (accepted, neither" in proc.stdout and "weights" in proc.stdout and "epochs of subnet" in proc.stdout
    summary = json.loads(out.read_text())
    kinds = summary["kinds"]
    for kind in ("transfer", "weights", "bid"):
        assert kinds[kind]["accepted"] > 0 and kinds[kind]["finalized"] > 0, kinds
    assert summary["lost"] == 0
    for kind, c in kinds.items():
        assert c["accepted"] == c["finalized"] + c["failed"] + c["dropped"] and c["lost"] == 0, (kind, c)
    assert set(summary["dropped"]) <= {"usurped", "dropped", "invalid", "finalityTimeout", "stale"}
    assert summary["finalized"] + summary["failed"] + sum(summary["dropped"].values()) == summary["accepted"]
    assert summary["failed"] == sum(summary["failed_errors"].values()) and summary["unread_events"] == 0
    # the set_weights landed: the validators (UIDs 1..64; the owner's hotkey is UID 0) have rows of 64+ UIDs
    rows = _weight_rows(dev_node.rpc_port, summary["epochs"]["netuid"])
    validators_with_rows = [uid for uid in rows if 1 <= uid <= 64]
    assert len(validators_with_rows) >= min(kinds["weights"]["finalized"], 64) // 2, rows
    assert all(length >= 64 for length in rows.values()), rows
    assert summary["epochs"]["due"] >= 0 and summary["epochs"]["on_time"] <= summary["epochs"]["due"]


def test_load_refuses_bad_arguments(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "tools", "load", "--seconds", "0"], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "must be positive" in proc.stderr and "Traceback" not in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "tools", "load", "--presign", "-1"], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "--presign" in proc.stderr and "Traceback" not in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "tools", "load", "--mix", "transfer=90,stake=10"], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "--mix" in proc.stderr and "Traceback" not in proc.stderr


def test_load_against_no_node_is_one_error_line():
    proc = subprocess.run([sys.executable, "-m", "tools", "load", "--url", "ws://127.0.0.1:1", "--seconds", "1"],
                          cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "cannot reach ws://127.0.0.1:1" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_mix_schedule_interleaves_kinds_by_share():
    from tools.load_mix import parse_mix, schedule

    order = schedule(parse_mix("transfer=90,weights=5,bid=5"))
    assert len(order) == 100 and order.count("weights") == 5 and order.count("bid") == 5
    assert "weights" in order[:25] and "bid" in order[:25]        # spread over the period, not one run at the end
    assert schedule(parse_mix("transfer=1,weights=0")) == ["transfer"]


def test_epoch_watch_counts_late_and_overdue_epochs():
    from tools.load_mix import EpochWatch

    watch = EpochWatch(netuid=1, tempo=10)
    watch.ran = {5: True, 15: True, 26: True, 36: False}    # 26: a block late; 36: slot taken, epoch skipped
    watch.last_number = 40
    s = watch.summary(start_number=7)
    assert (s["due"], s["on_time"], s["late"]) == (3, 1, [26, 36])
    watch.last_number = 46                                    # 46 was due and has not run
    assert watch.summary(start_number=7)["due"] == 4 and watch.summary(7)["late"][-1] == 46


def test_load_encodes_calls_and_signatures_as_the_runtime_does():
    """tools/ encodes without the runtime; the runtime's own codecs must agree byte for byte."""
    from primitives.keys import Keypair as Key
    from runtime.construct import get_runtime
    from runtime.extrinsic import encode_signed, extra_bytes
    from tools.load_mix import deployment_call
    from tools.load_rpc import Calls, ChainInfo, Signer

    enc = get_runtime().call_enum.encode
    hot = Key.from_uri("//load//validator//0").public_key
    expected = {
        ("Balances", "transfer_keep_alive"): enc(("Balances", ("transfer_keep_alive", {"dest": ("Id", hot), "value": 10**12}))),
        ("SubtensorModule", "set_weights"): enc(("SubtensorModule", ("set_weights", {
            "netuid": 3, "dests": [0, 5, 300], "weights": [1, 65535, 7], "version_key": 9}))),
        ("SubtensorModule", "burned_register"): enc(("SubtensorModule", ("burned_register", {"netuid": 3, "hotkey": hot}))),
        ("SubtensorModule", "add_stake"): enc(("SubtensorModule", ("add_stake", {
            "hotkey": hot, "netuid": 3, "amount_staked": 10**11}))),
        ("SubtensorModule", "register_network"): enc(("SubtensorModule", ("register_network", {"hotkey": hot}))),
        ("Market", "register_provider"): enc(("Market", ("register_provider", {"host_uri": b"load.invalid",
                                                                               "attributes": []}))),
        ("Market", "create_bid"): enc(("Market", ("create_bid", {"order": 77, "price": 1000, "deposit": 10**9}))),
        ("Market", "create_deployment"): enc(("Market", ("create_deployment", {"groups": [{
            "name": b"load", "requirements": [], "max_price": 10**6, "resources": [{
                "cpu_millis": 100, "memory_bytes": 2**20, "storage_bytes": 0,
                "gpu": {"units": 0, "vendor": b"", "model": b""}, "replicas": 1}]}], "deposit": 10**9,
            "version": bytes(32)}))),
    }
    calls = Calls({key: raw[:2] for key, raw in expected.items()})
    assert calls.transfer(hot, 10**12) == expected[("Balances", "transfer_keep_alive")]
    assert calls.set_weights(3, [0, 5, 300], [1, 65535, 7], 9) == expected[("SubtensorModule", "set_weights")]
    assert calls.burned_register(3, hot) == expected[("SubtensorModule", "burned_register")]
    assert calls.add_stake(hot, 3, 10**11) == expected[("SubtensorModule", "add_stake")]
    assert calls.register_network(hot) == expected[("SubtensorModule", "register_network")]
    assert calls.register_provider(b"load.invalid") == expected[("Market", "register_provider")]
    assert calls.create_bid(77, 1000, 10**9) == expected[("Market", "create_bid")]
    assert deployment_call(calls) == expected[("Market", "create_deployment")]
    # a signed extrinsic as the runtime encodes it (sr25519 signatures are randomized: compare all but them)
    key = Key.from_uri("//Alice")
    chain = ChainInfo(bytes(range(32)), 7, 3)
    raw, nonce = Signer(key, 41, chain).sign(calls.transfer(hot, 5))
    reference = encode_signed(calls.transfer(hot, 5), key.public_key, 1, bytes(64), None, 41, 0)
    assert nonce == 41 and len(raw) == len(reference)
    sig_at = reference.index(key.public_key) + 33
    assert raw[:sig_at] == reference[:sig_at] and raw[sig_at + 64:] == reference[sig_at + 64:]
    assert extra_bytes(None, 41, 0) in raw


def test_watched_statuses_end_each_transaction_with_a_reason():
    """What author_submitAndWatchExtrinsic reports decides each transaction's end until it is in a
    block: dropped with the node's reason (its sender then refills the nonce gap), or inBlock, where
    the watch is ended on the node (author_unwatchExtrinsic, so it stops holding one of the
    connection's 1,024 subscriptions) and finality is left to the follower's blocks."""
    import trio

    from tools.load import LoadStats, Submitter, Tracked

    class _Sender:
        resync = False

    class _Node:
        def __init__(self):
            self.calls = []

        async def call(self, method, *params, on_item=None):
            self.calls.append((method, *params))
            await trio.sleep(0)
            return True

        async def call_batch(self, requests):
            return [await self.call(method, *params, on_item=on_item) for method, params, on_item in requests]

    node = _Node()

    async def main():
        stats = LoadStats()
        async with trio.open_nursery() as nursery:
            sub = Submitter(node, stats, nursery, watch=True)
            ends = {}
            early = Tracked("transfer", _Sender(), 0, 0.0, accepted=0.0)   # inBlock read before its id was stored
            stats.txs[b"early"] = early
            await sub.window.acquire_on_behalf_of(early)
            assert sub._on_status(early)({"inBlock": "0x1"}) is True
            await trio.sleep(0.01)
            assert node.calls == []                  # nothing to unwatch yet
            sub._watch_started(early, "sub-early")
            for name, statuses in {"ok": ["ready", {"inBlock": "0x1"}],
                                   "usurped": ["future", ["usurped", "0x9"]], "dropped": ["ready", "dropped"],
                                   "invalid": ["invalid"], "timeout": [{"finalityTimeout": "0x3"}]}.items():
                t = Tracked("transfer", _Sender(), 0, 0.0, accepted=0.0, subscription=f"sub-{name}")
                stats.txs[name.encode()] = t
                await sub.window.acquire_on_behalf_of(t)
                on_item = sub._on_status(t)
                ends[name] = ([on_item(s) for s in statuses], t)
        return stats, sub, ends

    stats, sub, ends = trio.run(main)
    done, ok = ends["ok"]
    assert done == [False, True] and ok.in_block is not None and ok.finalized is None and not ok.dropped
    assert node.calls == [("author_unwatchExtrinsic", "sub-early"), ("author_unwatchExtrinsic", "sub-ok")]
    early = stats.txs[b"early"]
    assert early.in_block is not None and early.released
    for name, reason in (("usurped", "usurped"), ("dropped", "dropped"), ("invalid", "invalid"),
                         ("timeout", "finalityTimeout")):
        done, t = ends[name]
        assert done[-1] is True and t.dropped == reason and t.finalized is None and t.signer.resync
    assert sub.window.borrowed_tokens == 0                  # every end freed its window slot
    assert stats.summary()["lost"] == 2                     # in a block, not yet seen finalized
    ok.finalized = early.finalized = 1.0                    # as the follower marks them from a finalized block
    summary = stats.summary()
    assert summary["finalized"] == 2 and summary["lost"] == 0
    assert summary["dropped"] == {"usurped": 1, "dropped": 1, "invalid": 1, "finalityTimeout": 1}
    assert summary["kinds"]["transfer"] == {"submitted": 6, "accepted": 6, "finalized": 2, "failed": 0, "dropped": 4,
                                            "lost": 0}
    assert summary["failed"] == 0 and summary["failed_errors"] == {}


def test_call_batch_answers_each_call_in_order_and_a_refused_batch_fails_each():
    """`agora load` sends its submissions and unwatches as JSON-RPC batches: one message holds the
    calls, each gets its own result or RpcFailure in order (answers may come back in any order), a
    subscription's notifications reach its handler, and a batch the node refuses as a whole (an
    error with id null: too long, too big, batches disabled) fails every call in it."""
    import json

    import trio

    from tools.load_rpc import Connection, RpcFailure

    class _Ws:
        def __init__(self):
            self.sent, self.inbox = [], trio.open_memory_channel(10)

        async def send_message(self, text):
            self.sent.append(json.loads(text))

        async def get_message(self):
            return await self.inbox[1].receive()

    async def main():
        ws = _Ws()
        conn = Connection(ws)
        seen = []
        results = {}
        with trio.move_on_after(5):
            await serve(ws, conn, seen, results)
        return results, seen

    async def serve(ws, conn, seen, results):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(conn.read_forever)

            async def batch(name, requests):
                results[name] = await conn.call_batch(requests)

            nursery.start_soon(batch, "first", [("author_submitAndWatchExtrinsic", ("0x01",), seen.append),
                                                ("author_submitAndWatchExtrinsic", ("0x02",), None),
                                                ("author_unwatchExtrinsic", ("s0",), None)])
            await trio.sleep(0.01)
            assert len(ws.sent) == 1 and [r["params"] for r in ws.sent[0]] == [["0x01"], ["0x02"], ["s0"]]
            ids = [r["id"] for r in ws.sent[0]]
            await ws.inbox[0].send(json.dumps([
                {"jsonrpc": "2.0", "id": ids[2], "result": False},
                {"jsonrpc": "2.0", "id": ids[0], "result": "sub-1"},
                {"jsonrpc": "2.0", "id": ids[1], "error": {"code": 1010, "message": "Invalid Transaction"}}]))
            await ws.inbox[0].send(json.dumps({"jsonrpc": "2.0", "method": "author_extrinsicUpdate",
                                               "params": {"subscription": "sub-1", "result": "ready"}}))
            nursery.start_soon(batch, "refused", [("author_unwatchExtrinsic", ("a",), None),
                                                  ("author_unwatchExtrinsic", ("b",), None)])
            await trio.sleep(0.01)
            nursery.start_soon(batch, "after", [("author_unwatchExtrinsic", ("c",), None)])   # sent after it
            await trio.sleep(0.01)
            await ws.inbox[0].send(json.dumps({"jsonrpc": "2.0", "id": None,
                                               "error": {"code": -32011, "message": "Too big batch response"}}))
            await trio.sleep(0.01)
            assert "after" not in results              # a refusal is the oldest waiting batch's only
            await ws.inbox[0].send(json.dumps([{"jsonrpc": "2.0", "id": ws.sent[-1][0]["id"], "result": True}]))
            await trio.sleep(0.01)
            nursery.cancel_scope.cancel()

    results, seen = trio.run(main)
    first = results["first"]
    assert first[0] == "sub-1" and first[2] is False
    assert isinstance(first[1], RpcFailure) and str(first[1]) == "Invalid Transaction"
    assert seen == ["ready"]
    assert [str(r) for r in results["refused"]] == ["Too big batch response"] * 2
    assert results["after"] == [True]


def test_presigned_transfers_go_out_in_nonce_order_and_a_gap_is_filled_first():
    """`--presign N` signs transfers before the load, in the order the source hands them out (senders
    in turn, each one's nonces consecutive); once they run out the source signs as it goes. After a
    refusal the sender's gap is filled (signed then, at the node's next index) before its next
    pre-signed transfer, so no nonce is left open."""
    import trio

    from primitives.keys import Keypair as Key
    from tools.load import LoadStats, Submitter
    from tools.load_mix import TransferSource
    from tools.load_rpc import Calls, ChainInfo, Signer

    chain = ChainInfo(b"\x01" * 32, 1, 1)
    alice, bob = Signer(Key.from_uri("//Alice"), 5, chain), Signer(Key.from_uri("//Bob"), 0, chain)
    source = TransferSource([alice, bob], Calls({("Balances", "transfer_keep_alive"): b"\x05\x03"}))
    source.presign(4)
    signed = [source.next() for _ in range(4)]
    assert [(s[0], s[2][1]) for s in signed] == [(alice, 5), (bob, 0), (alice, 6), (bob, 1)]
    for who, call, (raw, nonce) in signed:
        body = raw[2:]                           # after its compact length (two bytes here)
        # signer, sr25519 MultiSignature, immortal era, then the nonce (compact, < 64: one byte)
        assert body[2:34] == who.key.public_key and body[34] == 1 and body[99] == 0
        assert body[100] == nonce << 2 and body.endswith(call)
    live = source.next()
    assert len(live) == 2 and live[0] is alice and alice.nonce == 7   # pre-signed ones used up: signed as it goes

    class _Node:
        def __init__(self):
            self.batches = []

        async def call(self, method, *params):
            assert method == "system_accountNextIndex"
            return 6                            # nonce 6 was refused: a gap below our next (7)

        async def call_batch(self, requests):
            self.batches.append(requests)
            return [f"sub-{i}" for i in range(len(requests))]

    node = _Node()

    async def main():
        stats = LoadStats()
        async with trio.open_nursery() as nursery:
            sub = Submitter(node, stats, nursery, watch=True)
            await sub.submit(*signed[0][:2], "transfer", signed[0][2])
            alice.resync = True
            call = signed[0][1]
            await sub.submit(alice, call, "transfer", alice.sign(call))   # alice at 7, signed ahead
        return stats

    stats = trio.run(main)
    assert [t.nonce for t in stats.txs.values()] == [5, 6, 7]   # the gap (6) went out before 7
    assert sum(len(b) for b in node.batches) == 3 and not alice.resync
    assert all(t.subscription is not None and t.accepted is not None for t in stats.txs.values())


def test_load_counts_a_call_that_failed_in_its_block_apart(dev_node):
    """Against a real node: a transfer of more than the sender has is accepted (it pays its fee) and
    finalized, but its call fails; the follower reads the block's events with the node's metadata and
    counts it as failed in block, with the error, and the good one as finalized."""
    import trio

    from primitives.keys import Keypair as Key
    from tools.load import LoadStats, Submitter, _follow
    from tools.load_events import EventDecoder
    from tools.load_rpc import Calls, ChainInfo, open_connection

    async def main() -> dict:
        async with trio.open_nursery() as nursery:
            conn = await open_connection(nursery, dev_node.url)
            chain = await ChainInfo.read(conn)
            calls = await Calls.load(dev_node.url, {"Balances"})
            signer = await chain.signer(conn, Key.from_uri("//Ferdie"))
            stats = LoadStats()
            start = int((await conn.call("chain_getHeader"))["number"], 16)
            nursery.start_soon(_follow, conn, stats, start, None, EventDecoder(calls.metadata))
            sub = Submitter(conn, stats, nursery, watch=True)
            stats.started = time.monotonic()
            bob = Key.from_uri("//Bob").public_key
            await sub.submit(signer, calls.transfer(bob, 10**30), "transfer")
            await sub.submit(signer, calls.transfer(bob, 10**6), "transfer")
            with trio.fail_after(90):
                while not all(t.checked for t in stats.txs.values()):
                    await trio.sleep(0.2)
            nursery.cancel_scope.cancel()
        return stats.summary()

    summary = trio.run(main)
    assert summary["accepted"] == summary["included"] == 2
    assert summary["finalized"] == 1 and summary["failed"] == 1
    assert summary["failed_errors"] == {"Token.FundsUnavailable": 1} and summary["unread_events"] == 0
    assert summary["kinds"]["transfer"]["failed"] == 1 and summary["lost"] == 0
