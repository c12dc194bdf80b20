"""Deployment renderers: one devnet description (genesis/devnet.yaml), several runners.

``compose`` (docker-compose v1.29 and v2), ``stack`` (Docker Swarm), ``k8s`` (Kubernetes
manifests) and the Helm chart's values in deploy/helm/agora-node/ all start from the same
topology as `agora devnet up`, so that the network the tests exercise is the one they run.
``image`` builds the node's Docker image without network access inside the build.
"""
