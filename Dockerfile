# Agora node image. The devnet (docker-compose.yml) runs this image with the chain spec
# baked in below, built from genesis/devnet.yaml like `agora devnet up` does.
FROM python:3.11-slim

# fastecdsa (a py-libp2p dependency) builds from source against GMP
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential libgmp-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /agora
COPY pyproject.toml README.md ./
COPY node ./node
COPY runtime ./runtime
COPY consensus ./consensus
COPY p2p ./p2p
COPY storage ./storage
COPY genesis ./genesis
# editable: `agora devnet` reads genesis/devnet.yaml next to the code
RUN pip install --no-cache-dir -e . \
 && agora devnet spec --out /agora/devnet-spec.json
# compile the numba Yuma kernel into its on-disk cache now, not in a node's first epoch
RUN python -c "from runtime.construct import warm_up; warm_up()"

ENV PYTHONUNBUFFERED=1
VOLUME /data
# p2p, JSON-RPC (HTTP + WebSocket), Prometheus
EXPOSE 30333 9944 9615
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=6 \
  CMD ["agora", "devnet", "health", "--rpc-port", "9944", "--min-peers", "0"]
ENTRYPOINT ["agora"]
CMD ["node", "--dev", "--base-path", "/data", "--rpc-external"]
