"""`agora key generate-node-key | inspect-node-key | insert`, as Substrate's `key` subcommands.

generate-node-key writes a libp2p Ed25519 secret (hex, or raw with --bin) to --file or stdout and
prints its peer id on stderr; inspect-node-key prints the peer id of such a file; insert puts a
secret URI into the node's file keystore (<base>/chains/<id>/keystore, or --keystore-path), where
`agora node --validator` finds its aura key, so no secret has to be on a command line.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import secrets
import sys
from typing import TextIO


def add_commands(sub) -> None:
    gen = sub.add_parser("generate-node-key", help="generate a random node key (libp2p identity)")
    gen.add_argument("--file", type=pathlib.Path, default=None, help="write the secret here (default: stdout)")
    gen.add_argument("--bin", action="store_true", help="write the 32 raw bytes instead of hex")
    ins = sub.add_parser("inspect-node-key", help="print the peer id of a node key file")
    ins.add_argument("--file", type=pathlib.Path, required=True, help="the node key file (hex or raw bytes)")
    put = sub.add_parser("insert", help="insert a key into the node's keystore")
    put.add_argument("--suri", default=None, help="the secret URI (read from stdin if omitted)")
    put.add_argument("--key-type", default="aura", help="four-character key type (default: aura)")
    put.add_argument("--scheme", default="sr25519", choices=("sr25519", "Sr25519"), help="only sr25519 here")
    put.add_argument("-d", "--base-path", type=pathlib.Path, default=None)
    put.add_argument("--chain", default="dev", help="'dev', 'local' or a chain spec path (gives the chain id)")
    put.add_argument("--keystore-path", type=pathlib.Path, default=None, help="the keystore directory itself")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int | None:
    """Run one of these commands; None if `args` names another."""
    from node.keystore import KeystoreError, keystore_entry, read_node_key
    from p2p import keypair_from_hex, peer_id_of

    cmd = args.key_command
    if cmd == "generate-node-key":
        secret = secrets.token_bytes(32)
        data = secret if args.bin else secret.hex().encode()
        if args.file is None and args.bin:
            sys.stdout.buffer.write(data)
        elif args.file is None:
            out.write(secret.hex() + "\n")
        else:
            _write_secret(args.file, data)
        err.write(peer_id_of(keypair_from_hex(secret.hex())) + "\n")
        return 0
    if cmd == "inspect-node-key":
        try:
            out.write(peer_id_of(keypair_from_hex(read_node_key(args.file))) + "\n")
        except (KeystoreError, ValueError) as exc:
            err.write(f"error: {exc}\n")
            return 1
        return 0
    if cmd == "insert":
        key_type = args.key_type.encode()
        if len(key_type) != 4:
            err.write("error: --key-type must be four characters, e.g. aura\n")
            return 1
        directory = args.keystore_path
        if directory is None:
            if args.base_path is None:
                err.write("error: give --base-path (or --keystore-path)\n")
                return 1
            from genesis.spec import ChainSpecError, load_spec

            try:
                chain_id = load_spec(args.chain).get("id", "agora")
            except ChainSpecError as exc:
                err.write(f"error: {exc}\n")
                return 1
            directory = args.base_path / "chains" / chain_id / "keystore"
        suri = args.suri if args.suri is not None else sys.stdin.readline().strip()
        try:
            name, content = keystore_entry(suri, key_type)
        except ValueError as exc:
            err.write(f"error: --suri: not a valid secret URI ({exc})\n")
            return 1
        directory.mkdir(parents=True, exist_ok=True)
        _write_secret(directory / name, content.encode())
        return 0
    return None


def _write_secret(path: pathlib.Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
