"""The Prometheus endpoint of a real dev node, read with prometheus-client's own parser: Substrate's
family names and types, values that move, and a Grafana dashboard that only queries what is exported."""
from __future__ import annotations

import json
import re
import time
import urllib.request

from prometheus_client.parser import text_string_to_metric_families
from substrateinterface import Keypair, SubstrateInterface

from tests.integration.nodeproc import REPO

DASHBOARD = REPO / "deploy" / "grafana" / "agora.json"

# name -> type, as Substrate exports them (counters in the text format are the sample names below)
EXPECTED = {
    "substrate_process_start_time_seconds": "gauge", "substrate_build_info": "gauge",
    "substrate_node_roles": "gauge", "substrate_number_leaves": "gauge", "substrate_block_height": "gauge",
    "substrate_tasks_spawned": "counter", "substrate_tasks_ended": "counter",
    "substrate_sub_libp2p_peers_count": "gauge", "substrate_sub_libp2p_network_bytes": "counter",
    "substrate_sub_libp2p_connections_opened": "counter", "substrate_block_verification_time": "histogram",
    "substrate_block_verification_and_import_time": "histogram", "substrate_import_queue_blocks_submitted": "counter",
    "substrate_proposer_block_constructed": "histogram", "substrate_ready_transactions_number": "gauge",
    "substrate_sub_txpool_submitted_transactions": "counter", "substrate_sub_txpool_validations_invalid": "counter",
    "substrate_sub_txpool_block_transactions_pruned": "counter",
    "substrate_rpc_calls_started": "counter", "substrate_rpc_calls_finished": "counter",
    "substrate_rpc_calls_time": "histogram",
    "substrate_rpc_sessions_opened": "counter", "substrate_rpc_sessions_closed": "counter",
}
# Substrate's counters without `_total` in their sample names (Rust's client adds none)
PLAIN = ("substrate_import_queue_blocks_submitted", "substrate_sub_txpool_submitted_transactions",
         "substrate_sub_txpool_block_transactions_pruned", "substrate_rpc_sessions_opened",
         "substrate_rpc_sessions_closed")


def scrape(node) -> tuple[str, dict]:
    with urllib.request.urlopen(f"http://127.0.0.1:{node.prometheus_port}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    return text, {f.name: f for f in text_string_to_metric_families(text)}


def value(families, family, **labels) -> float:
    for sample in families[family].samples:
        if all(sample.labels.get(k) == v for k, v in labels.items()) and not sample.name.endswith(("_bucket", "_sum")):
            return sample.value
    raise KeyError((family, labels))


def test_families_names_types_and_moving_values(dev_node):
    text, first = scrape(dev_node)
    for name, kind in EXPECTED.items():
        assert name in first, name
        assert first[name].type == kind, (name, first[name].type)
    for name in PLAIN:
        assert re.search(rf"^{name} \d", text, re.M), f"{name} must be exported without _total"
        assert f"{name}_total" not in text
    assert "_created" not in text
    assert 0 < value(first, "substrate_process_start_time_seconds") <= time.time()
    assert value(first, "substrate_node_roles") == 4                       # AUTHORITY
    assert value(first, "substrate_build_info", name="Alice") == 1
    assert value(first, "substrate_number_leaves") >= 1
    assert value(first, "substrate_tasks_spawned", task_name="aura") == 1
    best = value(first, "substrate_block_height", status="best")

    client = SubstrateInterface(url=dev_node.url)
    try:
        call = client.compose_call("Balances", "transfer_keep_alive",
                                   {"dest": Keypair.create_from_uri("//Bob").ss58_address, "value": 10**9})
        ext = client.create_signed_extrinsic(call=call, keypair=Keypair.create_from_uri("//Charlie"))
        assert client.submit_extrinsic(ext, wait_for_inclusion=True).is_success
    finally:
        client.close()
    deadline = time.monotonic() + 30
    while True:
        _, second = scrape(dev_node)
        # the node sees the client's close a moment after close() returns: wait for it too
        if (value(second, "substrate_block_height", status="sync_target") >= best + 1
                and value(second, "substrate_rpc_sessions_closed") >= value(first, "substrate_rpc_sessions_closed") + 1):
            break
        assert time.monotonic() < deadline, "sync_target never moved, or the client's session never closed"
        time.sleep(0.5)
    assert value(second, "substrate_block_height", status="best") > best
    assert value(second, "substrate_rpc_calls_finished", method="chain_getBlockHash", is_error="false") >= 1
    assert value(second, "substrate_rpc_calls_started", method="state_getRuntimeVersion") >= 1
    assert value(second, "substrate_sub_txpool_submitted_transactions") >= \
        value(first, "substrate_sub_txpool_submitted_transactions") + 1
    assert value(second, "substrate_sub_txpool_block_transactions_pruned") >= 1
    assert value(second, "substrate_proposer_block_constructed") > \
        value(first, "substrate_proposer_block_constructed")
    # the client's WebSocket was one session, opened and (after close()) closed
    assert value(second, "substrate_rpc_sessions_opened") >= value(first, "substrate_rpc_sessions_opened") + 1
    assert value(second, "substrate_rpc_sessions_closed") >= value(first, "substrate_rpc_sessions_closed") + 1


def test_grafana_dashboard_queries_only_exported_metrics(dev_node):
    text, _ = scrape(dev_node)
    exported = {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line and not line.startswith("#")}
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    assert len(exprs) >= 10
    for expr in exprs:
        names = set(re.findall(r"substrate_[a-z0-9_]+", expr))
        assert names and names <= exported, (expr, names - exported)
