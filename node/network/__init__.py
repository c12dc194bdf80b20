"""The node's use of the p2p network: sync, block announcements, transactions, finality.

p2p (the package) carries opaque bytes; everything here knows blocks and votes.
Start with :class:`node.network.bridge.NetworkBridge`.
"""
