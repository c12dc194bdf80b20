# Agora node image, built with no network access inside the build:
#   python -m tools.deploy.image build      (or `make docker-image`)
# makes the base image (debootstrap + docker import) and the wheelhouse (pip wheel, at the versions
# constraints.txt and deploy/docker/build-constraints.txt pin), then runs `docker build --build-arg BASE=agora-base:bookworm .`.
# BASE needs Python 3.11 with venv and libgmp10 (fastecdsa's wheel links it).
ARG BASE=agora-base:bookworm

# -- builder: agora's own wheel, and a virtualenv with everything installed from the wheelhouse --
FROM ${BASE} AS builder
WORKDIR /src
COPY .wheelhouse /wheelhouse
COPY constraints.txt ./
COPY deploy/docker/build-constraints.txt ./deploy/docker/build-constraints.txt
COPY pyproject.toml README.md ./
COPY node ./node
COPY runtime ./runtime
COPY primitives ./primitives
COPY consensus ./consensus
COPY p2p ./p2p
COPY storage ./storage
COPY genesis ./genesis
COPY tools ./tools
RUN python3 -m venv /opt/agora \
 && /opt/agora/bin/pip install -q --no-index --find-links /wheelhouse --no-cache-dir \
      --constraint deploy/docker/build-constraints.txt setuptools wheel \
 && /opt/agora/bin/pip wheel -q --no-index --find-links /wheelhouse --no-build-isolation --no-deps \
      --wheel-dir /dist . \
 && /opt/agora/bin/pip install -q --no-index --find-links /wheelhouse --no-cache-dir --no-compile \
      --constraint constraints.txt /dist/agora-*.whl \
 && /opt/agora/bin/pip uninstall -q -y setuptools wheel \
 && /opt/agora/bin/python -m compileall -q /opt/agora/lib

# -- runtime: the base image plus the virtualenv; no compiler, no wheelhouse, no pip cache --
FROM ${BASE}
RUN useradd --system --uid 1000 --create-home --home-dir /home/agora agora \
 && mkdir -p /data /agora /opt/numba-cache \
 && chown agora:agora /data /agora /opt/numba-cache
COPY --from=builder /opt/agora /opt/agora
ENV PATH=/opt/agora/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    NUMBA_CACHE_DIR=/opt/numba-cache
USER agora
# The numba Yuma kernel compiled once here, so no container pays it at its first epoch
# (numba recompiles by itself if the host CPU differs from the build machine's).
RUN python -c "from runtime.block_execution import warm_up; warm_up()" \
 && agora devnet spec --out /agora/devnet-spec.json
WORKDIR /home/agora
VOLUME /data
# p2p, JSON-RPC (HTTP + WebSocket), Prometheus
EXPOSE 30333 9944 9615
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=6 \
  CMD ["agora", "devnet", "health", "--rpc-port", "9944", "--min-peers", "0"]
ENTRYPOINT ["agora"]
CMD ["node", "--dev", "--base-path", "/data", "--rpc-external"]
