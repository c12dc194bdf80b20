"""JSON-RPC 2.0 on the wire: error codes, :class:`RpcError`, and the JSON text itself.

Fast compact encoding (the C encoder made once), decoding a str without ``json.loads``'s
wrapper, the offsets of a batch's entries (so a big batch is parsed one entry at a time),
and the prebuilt error answers. Nothing here knows about methods or sessions.
"""
from __future__ import annotations

import json
import logging
import re
from array import array
from collections.abc import Iterator
from typing import Any

log = logging.getLogger(__name__)

# --- error codes (jsonrpsee_types::error) ------------------------------------------------------

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
BATCHES_NOT_SUPPORTED = -32005
TOO_MANY_SUBSCRIPTIONS = -32006
OVERSIZED_REQUEST = -32007
OVERSIZED_RESPONSE = -32008
TOO_BIG_BATCH_REQUEST = -32010
TOO_BIG_BATCH_RESPONSE = -32011

UNSAFE_MESSAGE = "RPC call is unsafe to be called externally"

_MESSAGES = {
    PARSE_ERROR: "Parse error",
    INVALID_REQUEST: "Invalid request",
    METHOD_NOT_FOUND: "Method not found",
    INVALID_PARAMS: "Invalid params",
    INTERNAL_ERROR: "Internal error",
    BATCHES_NOT_SUPPORTED: "Batched requests are not supported by this server",
    TOO_MANY_SUBSCRIPTIONS: "Too many subscriptions on the connection",
    OVERSIZED_REQUEST: "Request is too big",
    OVERSIZED_RESPONSE: "Response is too big",
    TOO_BIG_BATCH_REQUEST: "The batch request was too large",
    TOO_BIG_BATCH_RESPONSE: "The batch response was too large",
}


class RpcError(Exception):
    """An error a handler raises to answer with a JSON-RPC error object.

    ``RpcError(1010, "Invalid Transaction", data="Inability to pay some fees")`` reaches
    the client as ``{"code":1010,"message":"Invalid Transaction","data":...}``; ``data``
    is left out when it is None. ``message`` defaults to the standard text of the code.
    """

    def __init__(self, code: int, message: str | None = None, data: Any = None) -> None:
        self.code = int(code)
        self.message = _MESSAGES.get(self.code, "Server error") if message is None else str(message)
        self.data = data
        super().__init__(self.code, self.message, data)

    @classmethod
    def invalid_params(cls, data: Any = None) -> RpcError:
        """-32602 "Invalid params", with an optional explanation in ``data``."""
        return cls(INVALID_PARAMS, None, data)

    def to_dict(self) -> dict:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


# --- serialisation ------------------------------------------------------------------------------

def _not_serialisable(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_encode_str = json.encoder.encode_basestring_ascii
if json.encoder.c_make_encoder is not None:
    # The C encoder, made once: JSONEncoder.encode builds one per call. No circular-reference
    # markers: a cyclic result fails with RecursionError instead, which is answered -32603 too.
    _c_encoder = json.encoder.c_make_encoder(None, _not_serialisable, _encode_str, None, ":", ",",
                                             False, False, False)

    def encode(value: Any) -> str:
        if type(value) is str:
            return _encode_str(value)
        return "".join(_c_encoder(value, 0))
else:  # pragma: no cover - CPython without the _json accelerator
    encode = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode

_scan_once = json.JSONDecoder().scan_once
DECODE_INLINE_LIMIT = 256 * 1024   # bytes of JSON parsed on the event loop; bigger goes to a thread
BATCH_SLICE = 0.002                # seconds of batch work between two yields to the scheduler

_JSON_WHITESPACE = " \t\n\r"


def decode(text: str) -> Any:
    """``json.loads`` for a str, minus the Python-level wrapper; ValueError on bad input."""
    if text[:1] in _JSON_WHITESPACE:  # also true for ""
        text = text.lstrip(_JSON_WHITESPACE)
    try:
        value, end = _scan_once(text, 0)
    except StopIteration:
        raise ValueError("not a JSON document") from None
    if end != len(text) and text[end:].strip(_JSON_WHITESPACE):
        raise ValueError("extra data after the JSON document")
    return value


WHITESPACE = re.compile(r"[ \t\n\r]*")


def batch_offsets(text: str, pos: int) -> array | None:
    """Where each item of the JSON array at ``text[pos]`` starts; None if the document is not valid JSON.

    Every item is parsed (so a syntax error anywhere refuses the whole batch, as jsonrpsee
    does) and dropped at once: only the offsets are kept.
    """
    offsets = array("q")
    skip = WHITESPACE.match
    end = len(text)
    pos = skip(text, pos + 1).end()
    try:
        if text[pos:pos + 1] == "]":
            pos += 1
        else:
            while True:
                offsets.append(pos)
                _value, pos = _scan_once(text, pos)
                pos = skip(text, pos).end()
                char = text[pos:pos + 1]
                if char == ",":
                    pos = skip(text, pos + 1).end()
                elif char == "]":
                    pos += 1
                    break
                else:
                    return None
    except (StopIteration, ValueError, RecursionError):
        return None
    return offsets if skip(text, pos).end() == end else None


class LazyItems:
    """The items of a checked batch, parsed one at a time."""

    __slots__ = ("text", "offsets")

    def __init__(self, text: str, offsets: array) -> None:
        self.text = text
        self.offsets = offsets

    def __len__(self) -> int:
        return len(self.offsets)

    def __iter__(self) -> Iterator[Any]:
        text = self.text
        for offset in self.offsets:
            yield _scan_once(text, offset)[0]


def dumps(value: Any) -> str:
    """Compact JSON, as the server writes it (NaN and infinities refused)."""
    return encode(value)


def valid_id(value: Any) -> bool:
    kind = type(value)
    return kind is int or kind is str or value is None


def error_text(rid: Any, code: int, message: str | None = None, data: Any = None) -> str:
    error: dict[str, Any] = {"code": code, "message": _MESSAGES[code] if message is None else message}
    if data is not None:
        error["data"] = data
    return '{"jsonrpc":"2.0","id":' + encode(rid) + ',"error":' + encode(error) + "}"


def rpc_error_text(rid: Any, exc: RpcError) -> str:
    try:
        body = encode(exc.to_dict())
    except (TypeError, ValueError):  # data that JSON cannot carry
        log.warning("RpcError %d with unserialisable data %r; sending it without data", exc.code, exc.data)
        body = encode({"code": exc.code, "message": exc.message})
    return '{"jsonrpc":"2.0","id":' + encode(rid) + ',"error":' + body + "}"


PARSE_ERROR_RESPONSE = error_text(None, PARSE_ERROR)
INVALID_REQUEST_RESPONSE = error_text(None, INVALID_REQUEST)


def limit_data(limit: int) -> str:
    return f"Exceeded max limit of {limit}"


def oversized_request_response(limit: int) -> str:
    return error_text(None, OVERSIZED_REQUEST, None, limit_data(limit))
