"""`agora dashboard`: a browser dashboard for devnet operators.

A small static HTTP server (stdlib, 127.0.0.1 by default) serves `static/`: the page, its
script, and `bundle.js`, @polkadot/api bundled by esbuild (`make dashboard`; nothing is loaded
from outside the machine). `/config.json` tells the page which nodes to watch; the browser
connects to each node's WebSocket RPC itself.
"""
