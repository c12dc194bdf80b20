"""system_* and account_nextIndex."""
from __future__ import annotations

from node.rpc.api.common import parse_account, positional
from node.rpc.jsonrpc import RpcError, RpcModule
from runtime import api as runtime_api


def register(rpc: RpcModule, node) -> None:
    @rpc.method("system_chain")
    def system_chain(params):
        return node.config.chain_name

    @rpc.method("system_name")
    def system_name(params):
        return node.config.impl_name

    @rpc.method("system_version")
    def system_version(params):
        return node.config.impl_version

    @rpc.method("system_chainType")
    def system_chain_type(params):
        return node.config.chain_type

    @rpc.method("system_properties")
    def system_properties(params):
        return dict(node.config.properties)

    @rpc.method("system_health")
    def system_health(params):
        fault = getattr(node, "fault", None)
        if fault is not None:  # a node that cannot author or import must not look healthy
            raise RpcError(-32000, "Node is not healthy: it cannot author or import blocks", fault)
        network = node.network_status()
        return {"peers": network["peers"], "isSyncing": network["is_syncing"],
                "shouldHavePeers": network["should_have_peers"]}

    @rpc.method("system_localPeerId")
    def system_local_peer_id(params):
        return node.network_status()["peer_id"]

    @rpc.method("system_localListenAddresses")
    def system_local_listen_addresses(params):
        return node.network_status()["listen_addresses"]

    @rpc.method("system_peers", unsafe=True)
    def system_peers(params):
        return node.network_status()["peer_list"]

    def _network():
        if node.network is None:
            raise RpcError(-32000, "The p2p network is not running")
        return node.network

    def _peer_ids(params):
        (ids,) = positional(params, ("peerIds",), 1)
        if isinstance(ids, str):
            ids = [ids]
        if not isinstance(ids, list) or not all(isinstance(i, str) and 0 < len(i) < 128 for i in ids):
            raise RpcError(-32602, "Invalid params", "peerIds: expected a list of peer ids")
        return ids

    if getattr(node.config, "network_test_rpc", False):
        _register_test_controls(rpc, _network, _peer_ids)

    @rpc.method("system_addReservedPeer", unsafe=True)
    def add_reserved_peer(params):
        (addr,) = positional(params, ("peer",), 1)
        if not isinstance(addr, str):
            raise RpcError(-32602, "Invalid params", "peer: expected a multiaddr")
        try:
            _network().add_reserved_peer(addr)
        except ValueError as exc:
            raise RpcError(-32602, "Invalid params", str(exc)) from None
        return None

    @rpc.method("system_removeReservedPeer", unsafe=True)
    def remove_reserved_peer(params):
        (peer_id,) = positional(params, ("peerId",), 1)
        if not isinstance(peer_id, str):
            raise RpcError(-32602, "Invalid params", "peerId: expected a peer id")
        _network().remove_reserved_peer(peer_id)
        return None

    @rpc.method("system_reservedPeers")
    def reserved_peers(params):
        return sorted(_network().reserved) if node.network is not None else []

    @rpc.method("system_nodeRoles")
    def system_node_roles(params):
        return ["Authority" if node.config.validator else "Full"]

    @rpc.method("system_syncState")
    def system_sync_state(params):
        network = node.network_status()
        return {"startingBlock": network["starting_block"], "currentBlock": node.chain.best_number,
                "highestBlock": max(network["highest_block"], node.chain.best_number)}

    @rpc.method("system_accountNextIndex", aliases=["account_nextIndex"])
    def account_next_index(params):
        (account,) = positional(params, ("account",), 1)
        who = parse_account(account)
        nonce = runtime_api.account_nonce(node.chain.store.best_state, who)
        pending = node.pool.by_sender.get(who, {})
        while nonce in pending:
            nonce += 1
        return nonce


def _register_test_controls(rpc: RpcModule, _network, _peer_ids) -> None:
    """`--network-test-rpc` only: cut and restore links to peers (network partitions in tests)."""

    @rpc.method("agora_blockPeers", unsafe=True)
    def block_peers(params):
        """Disconnect these peers and refuse them until unblocked (network partitions in tests)."""
        network = _network()
        ids = _peer_ids(params)
        for peer_id in ids:
            network.block_peer(peer_id)
        return len(ids)

    @rpc.method("agora_unblockPeers", unsafe=True)
    def unblock_peers(params):
        network = _network()
        ids = _peer_ids(params)
        for peer_id in ids:
            network.unblock_peer(peer_id)
        return len(ids)
