"""JSON-RPC 2.0 on the wire: error codes, :class:`RpcError`, and the JSON text itself.

Fast compact encoding (the C encoder made once), decoding a str without ``json.loads``'s
wrapper, a batch's items parsed one at a time (a big batch never exists as a list of Python
objects), its answer built as bytes (:class:`BatchAnswer`), and the prebuilt error answers. Nothing here knows about methods or sessions.
"""
from __future__ import annotations

import codecs
import json
import logging
import re
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
_utf8_decoder = codecs.getincrementaldecoder("utf-8")


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


WINDOW = 64 * 1024  # bytes of a chunked request decoded at a time


_NUMBERS = (int, float)


class ChunkFeed:
    """A request body received as chunks of bytes, decoded (UTF-8) a window at a time.

    With ``release`` each chunk is dropped from the list once decoded, so the request's
    bytes shrink as its items are served; ``unserved`` is how many bytes are still held.
    """

    __slots__ = ("chunks", "next", "release", "window", "decoder", "unserved")

    def __init__(self, chunks: list, release: bool = False, window: int = WINDOW) -> None:
        self.chunks: list | None = chunks
        self.next = 0
        self.release = release
        self.window = window
        self.decoder = _utf8_decoder()
        self.unserved = sum(map(len, chunks))

    def more(self, text: str, pos: int, want: int) -> str | None:
        """``text[pos:]`` followed by at least ``want`` more bytes decoded; None when all is decoded."""
        chunks = self.chunks
        if chunks is None:
            return None
        parts = [text[pos:]]
        got = 0
        index = self.next
        decode = self.decoder.decode
        while got < want and index < len(chunks):
            chunk = chunks[index]
            if self.release:
                chunks[index] = None
                self.unserved -= len(chunk)
            index += 1
            parts.append(decode(chunk))
            got += len(chunk)
        self.next = index
        if index >= len(chunks):
            parts.append(decode(b"", True))  # UnicodeDecodeError (a ValueError) on a cut sequence
            self.chunks = None
        return "".join(parts)


def iter_batch(message: str | list | ChunkFeed, *, release: bool = False, window: int = WINDOW) -> Iterator[Any]:
    """The items of the JSON array ``message`` (leading and trailing whitespace allowed), parsed
    one at a time. ``message`` is its text, its UTF-8 bytes as a list of chunks, or a
    :class:`ChunkFeed` over them (``release`` and ``window`` are then the feed's).

    What ``json.loads`` would return as a list, but only one item exists at a time: each is
    parsed when the caller asks for the next, and nothing is kept of the ones before. Chunks
    are decoded a ``window`` of bytes at a time, and with ``release`` dropped from the list
    once decoded. Malformed input (bad UTF-8 included) raises ValueError, as json.loads does
    (RecursionError for nesting too deep, as json.loads too), at the point where the text
    goes wrong: items before it have been yielded by then, so a caller that must refuse a
    malformed batch as a whole runs through it once first (:func:`batch_length`).
    """
    if type(message) is ChunkFeed:
        feed, window = message, message.window
    else:
        feed = None if type(message) is str else ChunkFeed(message, release, window)
    text = message if feed is None else ""
    skip = WHITESPACE.match
    scan = _scan_once

    def peek(text: str, pos: int) -> tuple[str, int]:
        """Past the whitespace at ``pos``, decoding more as needed; ``len(text)`` at the end."""
        while True:
            pos = skip(text, pos).end()
            if pos < len(text) or feed is None:
                return text, pos
            more = feed.more(text, pos, window)
            if more is None:
                return text, pos
            text, pos = more, 0

    def value(text: str, pos: int) -> tuple[Any, str, int]:
        want = window
        while True:
            try:
                item, end = scan(text, pos)
            except (StopIteration, ValueError) as exc:
                # cut by the window's end? decode more (twice as much each time) and parse again
                more = feed.more(text, pos, want) if feed is not None else None
                if more is None:
                    if isinstance(exc, StopIteration):
                        raise ValueError(f"expected a JSON value at {pos}") from None
                    raise
                text, pos, want = more, 0, want * 2
                continue
            if feed is not None and len(text) - end <= 2 and (end == len(text) or type(item) in _NUMBERS):
                # a number the window's end may have cut: "12|34", or "1.5|e3" parsed as 1.5 with
                # "e" (or "e+", ".") left over; decode more and parse again
                more = feed.more(text, pos, want)
                if more is not None:
                    text, pos, want = more, 0, want * 2
                    continue
            return item, text, end

    text, pos = peek(text, 0)
    if text[pos:pos + 1] != "[":
        raise ValueError(f"expected a JSON array at {pos}")
    text, pos = peek(text, pos + 1)
    if text[pos:pos + 1] == "]":
        pos += 1
    else:
        while True:
            item, text, pos = value(text, pos)
            yield item
            item = None  # not kept while the next item is parsed
            text, pos = peek(text, pos)
            char = text[pos:pos + 1]
            if char == ",":
                text, pos = peek(text, pos + 1)
            elif char == "]":
                pos += 1
                break
            else:
                raise ValueError(f"expected ',' or ']' at {pos}")
    text, pos = peek(text, pos)
    if pos != len(text):
        raise ValueError(f"extra data after the JSON array at {pos}")


def batch_length(message: str | list, *, window: int = WINDOW) -> int | None:
    """How many items the JSON array ``message`` has; None if the document is not valid JSON.

    Every item is parsed (a syntax error anywhere refuses the whole batch, as jsonrpsee
    does) and dropped at once: nothing but the count is kept. Serving the batch then
    parses the items a second time, one at a time, with :func:`iter_batch`.
    """
    count = 0
    try:
        for _item in iter_batch(message, window=window):
            count += 1
    except (ValueError, RecursionError):
        return None
    return count


def _first_char(message: str | list) -> str:
    if type(message) is str:
        return message.lstrip(_JSON_WHITESPACE)[:1]
    for chunk in message:
        rest = chunk.lstrip(b" \t\n\r")
        if rest:
            return chr(rest[0])
    return ""


def check_large(message: str | bytes | bytearray | list) -> tuple[str | list | None, int, Any]:
    """A big message's first pass, for a worker thread: ``(source, count, None)`` for a batch
    of ``count`` items (``source`` to be served with :func:`iter_batch`: its text, or its list
    of chunks), ``(None, 0, request)`` for anything else. ValueError (RecursionError) for
    malformed JSON or UTF-8."""
    if type(message) is bytes or type(message) is bytearray:
        message = message.decode("utf-8")
    if _first_char(message) == "[":
        count = batch_length(message)
        if count is None:
            raise ValueError("malformed JSON batch")
        return message, count, None
    if type(message) is list:
        message = b"".join(message).decode("utf-8")
    return None, 0, decode(message)


def handed_out(items: list) -> Iterator[Any]:
    """The items of ``items``, each dropped from the list once handed out, so that what is
    served (a parsed batch's requests, an answer's pieces) is not held to the end."""
    for index, item in enumerate(items):
        items[index] = None
        yield item


PIECE = 64 * 1024     # bytes of small answers gathered into one piece of a batch answer
_OWN_PIECE = 16 * 1024  # an answer this long is a piece by itself, its str as it is (never copied)


class BatchAnswer:
    """A batch's JSON answer, built one item at a time without a Python object per item.

    Small answers are appended as ASCII bytes to pieces of about :data:`PIECE` bytes (no
    Python object per item); a bigger one stays a piece of its own (its str, not copied).
    The pieces are never joined: the transports send them one after the other
    (:meth:`drain`), so the answer is in memory once, plus under a piece of slack.
    ``size`` is its length in bytes, ``count`` its number of items.
    """

    __slots__ = ("pieces", "size", "count", "_current")

    def __init__(self) -> None:
        self.pieces: list[bytearray | bytes | str] = []
        self._current = bytearray(b"[")
        self.size = 1      # the length the answer has once finished: brackets and commas included
        self.count = 0

    def add(self, answer: str) -> None:
        """Append one item (a JSON text; the encoder writes ASCII, so bytes and chars agree)."""
        if not answer.isascii():  # pragma: no cover - every answer comes from the ASCII encoder
            answer = answer.encode()
        current = self._current
        if self.count:
            current += b","
        self.count += 1
        self.size += len(answer) + 1
        if len(answer) >= _OWN_PIECE:
            self.pieces.append(current)
            self.pieces.append(answer)
            self._current = bytearray()
        else:
            current += answer.encode() if type(answer) is str else answer
            if len(current) >= PIECE:  # a full piece, kept at its size (a bytearray has slack)
                self.pieces.append(bytes(current))
                self._current = bytearray()

    def finish(self) -> BatchAnswer:
        """Close the array; no more items after this."""
        self._current += b"]"
        self.pieces.append(self._current)
        self._current = bytearray()
        return self

    def chunks(self) -> Iterator[bytes | bytearray]:
        """The answer's bytes, piece by piece (a str piece is encoded when its turn comes)."""
        for piece in self.pieces:
            yield piece.encode() if type(piece) is str else piece

    def drain(self) -> Iterator[bytes | bytearray]:
        """:meth:`chunks`, each piece dropped from the answer once handed out (for sending:
        a str piece is not kept beside its bytes)."""
        for piece in handed_out(self.pieces):
            yield piece.encode() if type(piece) is str else piece

    def __str__(self) -> str:
        return b"".join(self.chunks()).decode()


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
