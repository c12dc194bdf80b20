"""``agora key generate`` / ``agora key inspect``: subkey-compatible key utilities.

Output mirrors ``subkey`` (sc-cli ``commands/utils.rs``): the same labels and layout for
text output, and the same JSON keys (sorted, two-space indent) for ``--output-type json``.

The top-level CLI calls :func:`add_key_commands` on its sub-parsers object and then
:func:`run_key_command` with the parsed namespace (also set as ``args.func``).
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from primitives.keys import (
    SCHEMES,
    Keypair,
    KeyringError,
    generate_mnemonic,
    parse_public,
    public_to_account_id,
    validate_mnemonic,
)
from primitives.ss58 import (
    DEFAULT_SS58_FORMAT,
    SS58Error,
    network_name,
    parse_network,
    ss58_encode,
)

__all__ = ["add_key_commands", "run_key_command", "main"]


def _network(value: str) -> int:
    try:
        return parse_network(value)
    except SS58Error as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scheme", choices=SCHEMES, default="sr25519", type=str.lower,
                   help="cryptography scheme (default: sr25519)")
    p.add_argument("-n", "--network", "--ss58-format", dest="network", type=_network,
                   default=None, metavar="NETWORK",
                   help="SS58 address format: a number or polkadot/kusama/substrate "
                        f"(default: {DEFAULT_SS58_FORMAT})")
    p.add_argument("--output-type", choices=("text", "json"), default="text", type=str.lower,
                   help="output format (default: text)")
    p.add_argument("--password", default=None,
                   help="password for the secret phrase (overrides a ///password in the URI)")


def add_key_commands(subparsers) -> argparse.ArgumentParser:
    """Register ``key`` (with ``generate`` and ``inspect``) on an argparse sub-parsers object."""
    key = subparsers.add_parser("key", help="generate and inspect keys (like subkey)",
                                description="Key utilities compatible with Substrate's subkey.")
    sub = key.add_subparsers(dest="key_command",
                             metavar="{generate,inspect,generate-node-key,inspect-node-key,insert}")
    sub.required = True

    gen = sub.add_parser("generate", help="generate a random account",
                         description="Generate a new BIP39 secret phrase and print its account.")
    _add_common(gen)
    gen.add_argument("-w", "--words", type=int, choices=(12, 15, 18, 21, 24), default=12,
                     help="number of mnemonic words (default: 12)")

    ins = sub.add_parser("inspect", help="inspect a secret URI, seed or public key",
                         description="Print the account of a secret phrase / secret URI "
                                     "(e.g. //Alice, '<phrase>//hard/soft///password', "
                                     "0x<seed>), or of a public key with --public.")
    _add_common(ins)
    ins.add_argument("uri", nargs="?", default=None,
                     help="secret URI, or public key (hex or SS58) with --public; "
                          "read from stdin if omitted")
    ins.add_argument("--public", action="store_true",
                     help="treat URI as a public key (hex or SS58)")
    from node.keystore_cli import add_commands

    add_commands(sub)
    key.set_defaults(func=run_key_command)
    return key


# --- formatting ---------------------------------------------------------------------------

def _hex(b: bytes) -> str:
    return "0x" + bytes(b).hex()


def _emit(out: TextIO, output_type: str, text: str, data: dict) -> None:
    if output_type == "json":
        out.write(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    else:
        out.write(text + "\n")


def _print_pair(out: TextIO, kp: Keypair, uri: str, is_phrase: bool, fmt: int,
                output_type: str) -> None:
    seed = _hex(kp.seed) if kp.seed is not None else "n/a"
    values = {
        "networkId": network_name(fmt),
        "secretSeed": seed,
        "publicKey": _hex(kp.public_key),
        "accountId": _hex(kp.account_id),
        "ss58PublicKey": ss58_encode(kp.public_key, fmt),
        "ss58Address": ss58_encode(kp.account_id, fmt),
    }
    head = f"Secret phrase:       {uri}" if is_phrase else f"Secret Key URI `{uri}` is account:"
    text = (f"{head}\n"
            f"  Network ID:        {values['networkId']}\n"
            f"  Secret seed:       {values['secretSeed']}\n"
            f"  Public key (hex):  {values['publicKey']}\n"
            f"  Account ID:        {values['accountId']}\n"
            f"  Public key (SS58): {values['ss58PublicKey']}\n"
            f"  SS58 Address:      {values['ss58Address']}")
    values["secretPhrase" if is_phrase else "secretKeyUri"] = uri
    _emit(out, output_type, text, values)


def _print_public(out: TextIO, public: bytes, fmt: int, output_type: str,
                  uri: str | None = None) -> None:
    account = public_to_account_id(public)
    values = {
        "networkId": network_name(fmt),
        "publicKey": _hex(public),
        "accountId": _hex(account),
        "ss58PublicKey": ss58_encode(public, fmt),
        "ss58Address": ss58_encode(account, fmt),
    }
    head = f"Public Key URI `{uri}` is account:\n  " if uri is not None else ""
    text = (f"{head}Network ID/Version: {values['networkId']}\n"
            f"  Public key (hex):   {values['publicKey']}\n"
            f"  Account ID:         {values['accountId']}\n"
            f"  Public key (SS58):  {values['ss58PublicKey']}\n"
            f"  SS58 Address:       {values['ss58Address']}")
    if uri is not None:
        values["publicKeyUri"] = uri
    _emit(out, output_type, text, values)


def _check_public_scheme(public: bytes, scheme: str) -> None:
    expected = 33 if scheme == "ecdsa" else 32
    if len(public) != expected:
        raise KeyringError(f"a {scheme} public key has {expected} bytes, got {len(public)}")


# --- commands -----------------------------------------------------------------------------

def _generate(args, out: TextIO) -> int:
    fmt = DEFAULT_SS58_FORMAT if args.network is None else args.network
    phrase = generate_mnemonic(args.words)
    kp = Keypair.from_mnemonic(phrase, args.scheme, args.password or "", fmt)
    _print_pair(out, kp, phrase, True, fmt, args.output_type)
    return 0


def _inspect(args, out: TextIO) -> int:
    uri = args.uri
    if uri is None:
        uri = sys.stdin.readline().rstrip("\r\n")
    if not uri:
        raise KeyringError("no URI given")
    if args.public:
        public, addr_fmt = parse_public(uri)
        _check_public_scheme(public, args.scheme)
        fmt = args.network if args.network is not None else DEFAULT_SS58_FORMAT
        _print_public(out, public, fmt, args.output_type)
        return 0

    fmt = DEFAULT_SS58_FORMAT if args.network is None else args.network
    try:
        is_phrase = validate_mnemonic(uri)
    except KeyringError:
        is_phrase = False  # no BIP39 support installed; from_uri reports it if needed
    try:
        kp = Keypair.from_uri(uri, args.scheme, args.password, fmt)
    except KeyringError as secret_err:
        # Like subkey: a URI that is not a secret may be a public key / SS58 address.
        try:
            public, addr_fmt = parse_public(uri)
            _check_public_scheme(public, args.scheme)
        except (KeyringError, SS58Error):
            raise secret_err from None
        if args.network is None and addr_fmt is not None:
            fmt = addr_fmt
        _print_public(out, public, fmt, args.output_type, uri=uri)
        return 0
    _print_pair(out, kp, uri, is_phrase, fmt, args.output_type)
    return 0


def run_key_command(args: argparse.Namespace, out: TextIO | None = None,
                    err: TextIO | None = None) -> int:
    """Run a parsed ``key`` command; returns the process exit code."""
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    cmd = getattr(args, "key_command", None)
    try:
        if cmd == "generate":
            return _generate(args, out)
        if cmd == "inspect":
            return _inspect(args, out)
        from node.keystore_cli import run

        code = run(args, out, err)
        if code is not None:
            return code
        err.write("error: expected 'key generate' or 'key inspect'\n")
        return 2
    except (KeyringError, SS58Error) as e:
        err.write(f"error: {e}\n")
        return 1


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point: ``python -m node.keys_cli key inspect //Alice``."""
    parser = argparse.ArgumentParser(prog="agora")
    add_key_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return run_key_command(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
