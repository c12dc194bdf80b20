"""`agora devnet stack` and `agora devnet k8s`: the devnet for orchestrators that span machines."""
from __future__ import annotations

import argparse
import pathlib
import sys
from typing import Callable

from tools.deploy import k8s, stack
from tools.devnet import load


def cmd_stack(args: argparse.Namespace) -> int:
    devnet = load(args.devnet)
    if args.out is None:
        sys.stdout.write(stack.render(devnet, args.validators, image=args.image))
        return 0
    written = stack.write(devnet, pathlib.Path(args.out), args.validators, image=args.image)
    print(f"wrote {written[0]} and {len(written) - 1} key files beside it")
    return 0


def cmd_k8s(args: argparse.Namespace) -> int:
    devnet = load(args.devnet)
    if args.helm_values:
        docs = [k8s.helm_values(devnet, args.validators, image=args.image)]
        text = "# values for deploy/helm/agora-node (helm install agora deploy/helm/agora-node -f FILE)\n" + \
            "".join(k8s.dump(docs).splitlines(True)[2:])
    else:
        docs = k8s.render(devnet, args.validators, image=args.image, namespace=args.namespace)
        text = k8s.dump(docs)
    if args.out is None:
        sys.stdout.write(text)
    else:
        out = pathlib.Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
        print(f"wrote {len(docs)} document(s) to {out}")
    return 0


def add_deploy_commands(sub: argparse._SubParsersAction, common: Callable) -> None:
    q = sub.add_parser("stack", help="Print the devnet as a Docker Swarm stack (docker stack deploy)")
    common(q, base=False)
    q.add_argument("--validators", type=int, default=None)
    q.add_argument("--image", default=None, help="Node image (default from the devnet YAML)")
    q.add_argument("--out", default=None, help="Write stack.yml here, with its key files in keys/ beside it")
    q.set_defaults(run=cmd_stack)
    q = sub.add_parser("k8s", help="Print the devnet as Kubernetes manifests (kubectl apply -f)")
    common(q, base=False)
    q.add_argument("--validators", type=int, default=None)
    q.add_argument("--image", default=None, help="Node image (default from the devnet YAML)")
    q.add_argument("--namespace", default="agora")
    q.add_argument("--helm-values", action="store_true", help="Print values for deploy/helm/agora-node instead")
    q.add_argument("--out", default=None, help="Write the manifests (one YAML stream) to this file")
    q.set_defaults(run=cmd_k8s)
