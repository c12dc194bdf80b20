"""system_* and account_nextIndex."""
from __future__ import annotations

from node.rpc.api.common import parse_account, positional
from node.rpc.jsonrpc import RpcModule
from runtime.pallets import system as system_pallet


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
        nonce = system_pallet.Account.get(node.chain.store.best_state, who).nonce
        pending = node.pool.by_sender.get(who, {})
        while nonce in pending:
            nonce += 1
        return nonce
