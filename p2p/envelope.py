"""msgpack message envelopes carried inside length-prefixed frames.

Every frame body is a msgpack array whose first two items are
``[version, kind, ...]``.  Payloads are opaque ``bin`` values (the node layer
SCALE/msgpack-encodes its own data, so u128s never reach msgpack here).

====================  =====================================================
kind                  body
====================  =====================================================
0 HANDSHAKE           ``[1, 0, role: str, listen_addrs: [str], payload: bin]``
1 HANDSHAKE_ACCEPT    ``[1, 1, role: str, listen_addrs: [str], payload: bin]``
2 HANDSHAKE_REJECT    ``[1, 2, reason: str]``
3 NOTIFICATION        ``[1, 3, protocol: str, payload: bin]``
4 REQUEST             ``[1, 4, payload: bin]``
5 RESPONSE            ``[1, 5, payload: bin]``
6 ERROR               ``[1, 6, code: int, reason: str]``
====================  =====================================================

Receivers accept any version >= 1 and ignore trailing items, so a later
version may append fields without breaking older nodes.
"""
from __future__ import annotations

from typing import Any

import msgpack

from p2p.errors import MalformedFrame

VERSION = 1

HANDSHAKE = 0
HANDSHAKE_ACCEPT = 1
HANDSHAKE_REJECT = 2
NOTIFICATION = 3
REQUEST = 4
RESPONSE = 5
ERROR = 6

# error codes carried by ERROR frames
ERR_HANDLER = 1        # the handler raised / refused
ERR_RATE_LIMITED = 2
ERR_TOO_LARGE = 3
ERR_UNAVAILABLE = 4    # no handler / shutting down / peer not accepted
ERR_TIMEOUT = 5        # handler did not answer in time

_packb = msgpack.Packer(use_bin_type=True, autoreset=True).pack


def _unpack(body: bytes) -> list[Any]:
    try:
        msg = msgpack.unpackb(body, raw=False, use_list=True, strict_map_key=True)
    except Exception as exc:
        raise MalformedFrame(f"bad msgpack: {type(exc).__name__}") from exc
    if (not isinstance(msg, list) or len(msg) < 2 or type(msg[0]) is not int
            or type(msg[1]) is not int or msg[0] < 1):
        raise MalformedFrame("not an envelope")
    return msg


def decode(body: bytes) -> tuple[int, list[Any]]:
    msg = _unpack(body)
    return msg[1], msg


# -- handshake ---------------------------------------------------------------

def encode_handshake(kind: int, role: str, listen_addrs: list[str], payload: bytes) -> bytes:
    return _packb([VERSION, kind, role, listen_addrs, payload])


def encode_reject(reason: str) -> bytes:
    return _packb([VERSION, HANDSHAKE_REJECT, reason])


def parse_handshake(msg: list[Any]) -> tuple[str, list[str], bytes]:
    if len(msg) < 5:
        raise MalformedFrame("short handshake")
    role, addrs, payload = msg[2], msg[3], msg[4]
    if (not isinstance(role, str) or not isinstance(addrs, list) or len(addrs) > 64
            or not all(isinstance(a, str) and len(a) < 512 for a in addrs)
            or not isinstance(payload, bytes)):
        raise MalformedFrame("bad handshake fields")
    return role, addrs, payload


def parse_reject(msg: list[Any]) -> str:
    if len(msg) < 3 or not isinstance(msg[2], str):
        raise MalformedFrame("bad reject")
    return msg[2]


# -- notifications -------------------------------------------------------------

def encode_notification(protocol: str, payload: bytes) -> bytes:
    return _packb([VERSION, NOTIFICATION, protocol, payload])


def parse_notification(msg: list[Any]) -> tuple[str, bytes]:
    if len(msg) < 4 or not isinstance(msg[2], str) or not isinstance(msg[3], bytes):
        raise MalformedFrame("bad notification")
    return msg[2], msg[3]


# -- request / response --------------------------------------------------------

def encode_request(payload: bytes) -> bytes:
    return _packb([VERSION, REQUEST, payload])


def encode_response(payload: bytes) -> bytes:
    return _packb([VERSION, RESPONSE, payload])


def encode_error(code: int, reason: str) -> bytes:
    return _packb([VERSION, ERROR, code, reason[:256]])


def parse_payload(msg: list[Any]) -> bytes:
    if len(msg) < 3 or not isinstance(msg[2], bytes):
        raise MalformedFrame("bad request/response")
    return msg[2]


def parse_error(msg: list[Any]) -> tuple[int, str]:
    if len(msg) < 4 or type(msg[2]) is not int or not isinstance(msg[3], str):
        raise MalformedFrame("bad error frame")
    return msg[2], msg[3]


# Upper bound of envelope bytes around a payload (array/ints/bin header/protocol id).
OVERHEAD = 1024
