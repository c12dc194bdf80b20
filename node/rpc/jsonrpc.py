"""JSON-RPC 2.0 core: the method registry, subscriptions and the dispatcher (the wire format,
error codes and :class:`RpcError` are in :mod:`node.rpc.jsonrpc_wire`).

Nothing here touches a socket. ``node.rpc.server`` feeds request text to
:meth:`Dispatcher.handle` and writes back what it returns; over WebSocket it also
gives the dispatcher an *outbox* so subscriptions can push notifications.

Wire behaviour follows jsonrpsee, the server Substrate uses:

* a single request that is valid JSON but not a valid request object is answered
  with -32600 "Invalid request" when it carries a usable ``id``, otherwise with
  -32700 "Parse error" and ``id: null`` (jsonrpsee's ``prepare_error``);
* inside a batch such an entry gets -32600 with its id or ``null``; ``[]`` gets a
  single -32600; a batch of notifications only gets no answer at all;
* unknown method -32601 "Method not found"; an unsafe method under the safe policy
  -32601 "RPC call is unsafe to be called externally" (``sc_rpc_api::UnsafeRpcError``);
* subscription methods over HTTP -32603 "Internal error";
* unsubscribing an unknown id answers ``false``; a known one ``true``.
"""
from __future__ import annotations

import inspect
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import trio

from node.rpc.heap import TRIM_EVERY, release_free_memory
from node.rpc.jsonrpc_wire import (
    BATCHES_NOT_SUPPORTED,
    BATCH_SLICE,
    DECODE_INLINE_LIMIT,
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    INVALID_REQUEST_RESPONSE,
    BatchAnswer,
    ChunkFeed,
    METHOD_NOT_FOUND,
    OVERSIZED_RESPONSE,
    PARSE_ERROR_RESPONSE,
    RpcError,
    TOO_BIG_BATCH_REQUEST,
    TOO_BIG_BATCH_RESPONSE,
    TOO_MANY_SUBSCRIPTIONS,
    UNSAFE_MESSAGE,
    check_large,
    decode,
    encode,
    error_text,
    handed_out,
    iter_batch,
    limit_data,
    rpc_error_text,
    valid_id,
)


Params = list | dict
MethodHandler = Callable[[Params], Awaitable[Any]] | Callable[[Params], Any]
SubscriptionHandler = Callable[[Params, "SubscriptionSink"], Awaitable[None]]

log = logging.getLogger(__name__)

# --- registry -----------------------------------------------------------------------------------

_METHOD, _SUBSCRIBE, _UNSUBSCRIBE = 0, 1, 2
#: a batch item's answer that would take its batch past the response limit (never built)
_PAST_LIMIT = "<past the limit>"
#: a str result this long is measured before it is encoded (a scan of it is cheap beside a copy)
_BIG_RESULT = 64 * 1024


@dataclass(eq=False)
class _Entry:
    name: str                     # canonical name (the one registered, not the alias)
    kind: int
    func: Callable[..., Any]
    is_async: bool
    unsafe: bool
    concurrent: bool = False
    notification: str = ""        # subscriptions: the notification method name
    group: object = None          # subscribe and unsubscribe entries of one registration share it


@dataclass(eq=False)
class _Group:
    subscribe: str
    unsubscribe: str
    notification: str


class RpcModule:
    """A set of JSON-RPC methods and subscriptions; ``serve_rpc`` serves one.

    >>> rpc = RpcModule()
    >>> @rpc.method("system_name")
    ... async def system_name(params):
    ...     return "agora"
    >>> @rpc.subscription("chain_subscribeNewHeads", "chain_unsubscribeNewHeads", "chain_newHead",
    ...                   aliases=["chain_subscribeNewHead"], unsubscribe_aliases=["chain_unsubscribeNewHead"])
    ... async def new_heads(params, sink):
    ...     await sink.send({"number": "0x0"})          # the current head: accepts the subscription
    ...     ...                                         # then push each new head until cancelled
    """

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}

    def wrap_methods(self, wrap: Callable[[str, Callable[..., Any], bool], Callable[..., Any]]) -> None:
        """Replace each plain method's function by `wrap(name, func, is_async)` (metrics, tracing)."""
        for entry in set(self._entries.values()):
            if entry.kind == _METHOD:
                entry.func = wrap(entry.name, entry.func, entry.is_async)

    # registration ------------------------------------------------------------------------------

    def method(self, name: str, *, aliases: Iterable[str] = (), unsafe: bool = False,
               concurrent: bool = False) -> Callable[[MethodHandler], MethodHandler]:
        """Decorator registering ``handler(params) -> result`` under ``name`` and ``aliases``.

        ``params`` is the request's list or dict (``[]`` when absent). The handler may be
        ``async def`` or a plain function. By default it runs inline in the connection's
        reader, in request order, without spawning a task: right for anything that
        answers promptly. ``concurrent=True`` runs each call as its own task over
        WebSocket, so a handler that waits (a thread, a lock, the network) does not hold
        up the requests behind it; responses may then come back out of order.
        ``unsafe=True`` refuses the call under ``rpc_methods="safe"``.
        """
        def register(handler: MethodHandler) -> MethodHandler:
            entry = _Entry(name, _METHOD, handler, inspect.iscoroutinefunction(handler), unsafe, concurrent)
            for each in (name, *aliases):
                self._add(each, entry)
            return handler
        return register

    def subscription(self, subscribe: str, unsubscribe: str, notification: str, *,
                     aliases: Iterable[str] = (), unsubscribe_aliases: Iterable[str] = (),
                     unsafe: bool = False) -> Callable[[SubscriptionHandler], SubscriptionHandler]:
        """Decorator registering ``async def handler(params, sink)`` as a subscription.

        The server runs the handler as a task of the connection. Validate ``params``
        first and raise :class:`RpcError` to refuse: the client then gets that error
        instead of a subscription id. The id goes out with the first ``await
        sink.send(value)`` (or an explicit ``await sink.accept()``), always before the
        first notification; send the current value straight away. Keep sending until
        the task is cancelled, which happens on unsubscribe (answered ``true``) and on
        disconnect. Returning ends the subscription quietly.
        """
        group = _Group(subscribe, unsubscribe, notification)

        def register(handler: SubscriptionHandler) -> SubscriptionHandler:
            if not inspect.iscoroutinefunction(handler):
                raise TypeError("a subscription handler must be an async function")
            sub = _Entry(subscribe, _SUBSCRIBE, handler, True, unsafe, notification=notification, group=group)
            unsub = _Entry(unsubscribe, _UNSUBSCRIBE, _no_handler, False, unsafe, group=group)
            for each in (subscribe, *aliases):
                self._add(each, sub)
            for each in (unsubscribe, *unsubscribe_aliases):
                self._add(each, unsub)
            return handler
        return register

    def merge(self, other: RpcModule) -> None:
        """Add every name of ``other``; a name registered twice is an error, as in jsonrpsee."""
        for name, entry in other._entries.items():
            self._add(name, entry)

    def _add(self, name: str, entry: _Entry) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"bad method name {name!r}")
        if name in self._entries or name == "rpc_methods":
            raise ValueError(f"method {name!r} is already registered")
        self._entries[name] = entry

    # introspection -----------------------------------------------------------------------------

    def method_names(self, *, include_unsafe: bool = True) -> list[str]:
        """Every registered name and alias, sorted.

        Substrate's ``rpc_methods`` lists unsafe methods too, whatever the policy (calling
        them is what gets refused), so the server passes ``include_unsafe=True``.
        """
        return sorted(name for name, entry in self._entries.items() if include_unsafe or not entry.unsafe)

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def __len__(self) -> int:
        return len(self._entries)


def _no_handler(params: Params) -> None:  # pragma: no cover - unsubscribe is served by the dispatcher
    raise AssertionError


# --- subscriptions ------------------------------------------------------------------------------

class Outbox(Protocol):
    """What a streaming transport (WebSocket) offers the dispatcher."""

    closed: bool

    def push(self, text: str | BatchAnswer) -> None:
        """Queue one complete JSON message for sending (never blocks)."""

    async def wait_writable(self) -> None:
        """Return once the send queue has room; disconnects a consumer that stays too slow."""


_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def new_subscription_id() -> str:
    """A 16-character alphanumeric id, like Substrate's ``RandomStringIdProvider::new(16)``: one read
    of the OS's random source (1.3 µs; SystemRandom.choices read it once per character, 12 µs), about
    95 bits, unguessable like the ids jsonrpsee draws."""
    return "".join([_ID_ALPHABET[b % 62] for b in os.urandom(16)])


class SubscriptionSink:
    """Where a subscription handler sends its values.

    ``await sink.send(value)`` pushes ``{"jsonrpc":"2.0","method":<notification>,
    "params":{"subscription":<id>,"result":value}}``; the first call (or ``accept()``)
    also answers the subscribe request with the id. After unsubscribe or disconnect,
    ``closed`` is true and ``send`` drops the value (the task is being cancelled).
    """

    __slots__ = ("id", "notification", "_session", "_request_id", "_group", "_accepted", "_closed",
                 "_prefix", "_cancel_scope", "_decided", "_response", "_gate")

    def __init__(self, session: RpcSession, sub_id: str, notification: str, request_id: Any,
                 group: object, in_batch: bool) -> None:
        self.id = sub_id
        self.notification = notification
        self._session = session
        self._request_id = request_id
        self._group = group
        self._accepted = False
        self._closed = False
        self._prefix = ('{"jsonrpc":"2.0","method":' + encode(notification)
                        + ',"params":{"subscription":' + encode(sub_id) + ',"result":')
        self._cancel_scope = trio.CancelScope()
        # Inside a batch the id is part of the batch answer: the reader waits for the
        # decision, and notifications wait for the gate (opened once the batch is queued).
        self._decided: trio.Event | None = trio.Event() if in_batch else None
        self._response: str | None = None
        self._gate: trio.Event | None = trio.Event() if in_batch else None

    @property
    def closed(self) -> bool:
        return self._closed or self._session.outbox.closed

    @property
    def accepted(self) -> bool:
        return self._accepted

    async def accept(self) -> str:
        """Answer the subscribe request with the id now, without a first value."""
        if not self._accepted:
            self._answer('{"jsonrpc":"2.0","id":' + encode(self._request_id)
                         + ',"result":' + encode(self.id) + "}")
            self._accepted = True
        await trio.lowlevel.checkpoint()
        return self.id

    async def send(self, result: Any) -> None:
        """Push one notification (accepting the subscription first if needed)."""
        if not self._accepted:
            self._answer('{"jsonrpc":"2.0","id":' + encode(self._request_id)
                         + ',"result":' + encode(self.id) + "}")
            self._accepted = True
        if self._gate is not None:
            await self._gate.wait()
            self._gate = None
        text = self._prefix + encode(result) + "}}"
        outbox = self._session.outbox
        await outbox.wait_writable()
        if self._closed or outbox.closed:
            await trio.lowlevel.checkpoint()
            return
        limit = self._session.dispatcher.max_response_bytes
        if len(text) > limit:
            log.warning("dropping a %s notification of %d bytes (limit %d)", self.notification, len(text), limit)
        else:
            outbox.push(text)
        await trio.lowlevel.checkpoint()

    # internals ---------------------------------------------------------------------------------

    def _answer(self, text: str) -> None:
        if self._decided is not None:
            self._response = text
            self._decided.set()
        elif not self._session.outbox.closed:
            self._session.outbox.push(text)

    def _close(self) -> None:
        self._closed = True
        self._cancel_scope.cancel()
        if self._gate is not None:
            self._gate.set()


@dataclass(eq=False)
class RpcSession:
    """Per-connection dispatcher state. HTTP sessions have no outbox and no nursery."""

    dispatcher: Dispatcher
    outbox: Outbox | None = None
    nursery: trio.Nursery | None = None
    subscriptions: dict[str, SubscriptionSink] = field(default_factory=dict)
    _gates: list[SubscriptionSink] = field(default_factory=list)
    _concurrency: trio.Semaphore | None = None

    def response_queued(self) -> None:
        """The transport queued the answer to the last ``handle``: release gated notifications."""
        if self._gates:
            for sink in self._gates:
                if sink._gate is not None:
                    sink._gate.set()
            self._gates.clear()

    def close(self) -> None:
        """The connection is going away: every subscription is closed (their tasks die with it)."""
        for sink in list(self.subscriptions.values()):
            sink._close()
        self.subscriptions.clear()


# --- the dispatcher -----------------------------------------------------------------------------

class Dispatcher:
    """Turns request text into response text for one server (its module and its policy)."""

    def __init__(self, module: RpcModule, *, allow_unsafe: bool, max_response_bytes: int = 15 * 2**20,
                 max_subscriptions_per_connection: int = 1024, max_concurrent_per_connection: int = 64,
                 max_batch_len: int | None = None, batches_enabled: bool = True) -> None:
        self.module = module
        self.allow_unsafe = allow_unsafe
        self.max_response_bytes = max_response_bytes
        self.max_batch_len = max_batch_len          # None: any length (Substrate's default)
        self.batches_enabled = batches_enabled
        self._decode_threads = trio.CapacityLimiter(2)  # big documents parsed at once, over all connections
        self.max_subscriptions_per_connection = max_subscriptions_per_connection
        self.max_concurrent_per_connection = max_concurrent_per_connection
        self._entries: dict[str, _Entry] = dict(module._entries)
        self._entries["rpc_methods"] = _Entry("rpc_methods", _METHOD, self._rpc_methods, False, False)

    def _rpc_methods(self, params: Params) -> dict:
        return {"version": 1, "methods": sorted(self._entries)}

    def session(self, outbox: Outbox | None = None, nursery: trio.Nursery | None = None) -> RpcSession:
        return RpcSession(self, outbox, nursery,
                          _concurrency=trio.Semaphore(self.max_concurrent_per_connection) if nursery else None)

    async def call_method(self, name: str, params: Params | None = None) -> Any:
        """Run a plain method directly (the ``/health`` endpoint uses it). Raises RpcError."""
        entry = self._entries.get(name)
        if entry is None or entry.kind != _METHOD:
            raise RpcError(METHOD_NOT_FOUND)
        result = entry.func([] if params is None else params)
        return await result if entry.is_async else result

    async def handle(self, session: RpcSession, message: str | bytes | bytearray | list) -> str | BatchAnswer | None:
        """Answer one message: a request, a notification or a batch. None means no answer.

        ``message`` is text, UTF-8 bytes, or UTF-8 bytes as a list of chunks (an HTTP body as
        received). A batch is answered with a :class:`BatchAnswer` (bytes in pieces), anything
        else with a str. A list of chunks is consumed: a big batch's chunks are dropped from
        it as its items are served, so the request shrinks while the answer grows.
        """
        try:
            if type(message) is list and sum(map(len, message)) < DECODE_INLINE_LIMIT:
                message = b"".join(message)
            if type(message) is not list and len(message) < DECODE_INLINE_LIMIT:
                request = decode(message if type(message) is str else message.decode("utf-8"))
            else:
                # A big document takes tens of ms to decode and parse: not on the event loop's
                # thread. A big batch is only checked there (every item parsed and dropped) and
                # its items are parsed again one at a time as their turn comes: as a list, a
                # 15 MiB batch of small calls would be hundreds of MB of Python objects.
                source, count, request = await trio.to_thread.run_sync(check_large, message,
                                                                       limiter=self._decode_threads)
                del message
                if source is not None:
                    body = ChunkFeed(source, release=True) if type(source) is list else None
                    return await self._batch(session, iter_batch(body or source), count, body)
        except (ValueError, RecursionError):  # bad JSON, bad UTF-8, >4300-digit ints, deep nesting
            return PARSE_ERROR_RESPONSE
        kind = type(request)
        if kind is dict:
            return await self._single(session, request, False)
        if kind is list:
            # each item dropped once served: the parsed request (~400 bytes a call) shrinks as
            # the answer grows, as a chunked body does
            return await self._batch(session, handed_out(request), len(request))
        return PARSE_ERROR_RESPONSE

    async def _batch(self, session: RpcSession, requests: Iterator[Any], count: int,
                     body: ChunkFeed | None = None) -> str | BatchAnswer | None:
        """Serve a batch's items in turn. What it holds, the answer so far plus the part of a
        chunked ``body`` not yet served, stays within the response limit (or the body's own
        size, when that is bigger): past it the batch is answered -32011 at once, as jsonrpsee
        answers one whose response passes the limit, only sooner, before building the rest."""
        if not count:
            return INVALID_REQUEST_RESPONSE
        if not self.batches_enabled:
            return error_text(None, BATCHES_NOT_SUPPORTED)
        if self.max_batch_len is not None and count > self.max_batch_len:
            return error_text(None, TOO_BIG_BATCH_REQUEST, None, limit_data(self.max_batch_len))
        limit = self.max_response_bytes
        hold_limit = limit if body is None else max(limit, body.unserved)
        out = BatchAnswer()
        clock = time.perf_counter
        yield_at = clock() + BATCH_SLICE
        trim_at = body.unserved - TRIM_EVERY if body is not None else -1
        for request in requests:
            if type(request) is dict:
                room = limit - out.size - 1
                if body is not None:
                    room = min(room, hold_limit - body.unserved - out.size - 1)
                answer = await self._single(session, request, True, room)
            else:
                answer = INVALID_REQUEST_RESPONSE
            request = None  # the item is not kept while the next one is parsed
            if answer is not None:
                size = out.size + len(answer) + 1
                if (answer is _PAST_LIMIT or size > limit
                        or (body is not None and size + body.unserved > hold_limit)):
                    # Stop at the first answer past the limit, or at the first that would make the
                    # answer and the rest of the body more than the limits let one request hold:
                    # a batch's memory is bounded by the limits, not by its length.
                    self._drop_batch_subscriptions(session)
                    return error_text(None, TOO_BIG_BATCH_RESPONSE, None, limit_data(limit))
                out.add(answer)
                answer = None
            if clock() >= yield_at:
                if body is not None and body.unserved <= trim_at:
                    # the served part of the body is freed, but resident until trimmed: without
                    # this the request's peak is its whole body plus its whole answer
                    release_free_memory()
                    trim_at = body.unserved - TRIM_EVERY
                # Let authoring, import and the other connections run between items.
                await trio.lowlevel.checkpoint()
                yield_at = clock() + BATCH_SLICE
        if body is not None:
            release_free_memory()  # the last of the body
        if not out.count:
            return None
        return out.finish()

    @staticmethod
    def _drop_batch_subscriptions(session: RpcSession) -> None:
        """A refused batch answer also cancels the subscriptions it would have announced."""
        for sink in session._gates:
            if session.subscriptions.get(sink.id) is sink:
                del session.subscriptions[sink.id]
            sink._close()
        session._gates.clear()

    async def _single(self, session: RpcSession, request: dict, in_batch: bool,
                      room: int | None = None) -> str | None:
        method = request.get("method")
        has_id = "id" in request
        rid = request.get("id")
        if request.get("jsonrpc") != "2.0" or type(method) is not str or not valid_id(rid):
            if has_id and valid_id(rid):
                return error_text(rid, INVALID_REQUEST)
            return INVALID_REQUEST_RESPONSE if in_batch else PARSE_ERROR_RESPONSE
        entry = self._entries.get(method)
        params = request.get("params")
        if params is None:
            params = []
        elif type(params) is not list and type(params) is not dict:
            return error_text(rid, INVALID_PARAMS) if has_id else None
        if not has_id:
            await self._notification(entry, params)
            return None
        if entry is None:
            return error_text(rid, METHOD_NOT_FOUND)
        if entry.unsafe and not self.allow_unsafe:
            return error_text(rid, METHOD_NOT_FOUND, UNSAFE_MESSAGE)
        kind = entry.kind
        if kind == _METHOD:
            if entry.concurrent and not in_batch and session.nursery is not None:
                try:
                    session._concurrency.acquire_nowait()  # no checkpoint per message
                except trio.WouldBlock:
                    await session._concurrency.acquire()
                session.nursery.start_soon(self._concurrent_call, session, entry, rid, params)
                return None
            return await self._call(entry, rid, params, room)
        if session.outbox is None:
            log.debug("%s over HTTP: subscriptions need a WebSocket", method)
            return error_text(rid, INTERNAL_ERROR)
        if kind == _SUBSCRIBE:
            return await self._subscribe(session, entry, rid, params, in_batch)
        return self._unsubscribe(session, entry, rid, params)

    async def _call(self, entry: _Entry, rid: Any, params: Params, room: int | None = None) -> str:
        """The answer's text. In a batch, ``room`` is what its answer has left: an answer that
        fits the response limit but not the room is :data:`_PAST_LIMIT` instead, found before
        its text is built (a big result is not copied only to be refused). One past the limit
        is the -32008 error, in a batch as alone (jsonrpsee's MethodResponse)."""
        try:
            result = entry.func(params)
            if entry.is_async:
                result = await result
            if type(result) is str and len(result) >= _BIG_RESULT and result.isascii() and result.isalnum():
                body = None  # hex (state_getMetadata's 0.12 MiB): its JSON is itself in quotes
            else:
                body = encode(result)
        except RpcError as exc:
            return rpc_error_text(rid, exc)
        except Exception:
            log.exception("RPC method %s failed", entry.name)
            return error_text(rid, INTERNAL_ERROR)
        head = '{"jsonrpc":"2.0","id":' + encode(rid) + ',"result":'
        size = len(head) + (len(result) + 2 if body is None else len(body)) + 1
        if size > self.max_response_bytes:
            return error_text(rid, OVERSIZED_RESPONSE, None, limit_data(self.max_response_bytes))
        if room is not None and size > room:
            return _PAST_LIMIT
        # one join (a chain of + would copy a big result twice), a hex result not encoded first
        return "".join((head, '"', result, '"}') if body is None else (head, body, "}"))

    async def _concurrent_call(self, session: RpcSession, entry: _Entry, rid: Any, params: Params) -> None:
        try:
            text = await self._call(entry, rid, params)
            outbox = session.outbox
            await outbox.wait_writable()
            if not outbox.closed:
                outbox.push(text)
        finally:
            session._concurrency.release()

    async def _notification(self, entry: _Entry | None, params: Params) -> None:
        """Run a request without id for its effect; nothing is answered, errors are only logged."""
        if entry is None or entry.kind != _METHOD or (entry.unsafe and not self.allow_unsafe):
            return
        try:
            result = entry.func(params)
            if entry.is_async:
                await result
        except RpcError:
            pass
        except Exception:
            log.exception("RPC method %s failed (notification)", entry.name)

    async def _subscribe(self, session: RpcSession, entry: _Entry, rid: Any, params: Params,
                         in_batch: bool) -> str | None:
        if len(session.subscriptions) >= self.max_subscriptions_per_connection:
            return error_text(rid, TOO_MANY_SUBSCRIPTIONS, None, limit_data(self.max_subscriptions_per_connection))
        sub_id = new_subscription_id()
        while sub_id in session.subscriptions:  # pragma: no cover - 62**16 ids
            sub_id = new_subscription_id()
        sink = SubscriptionSink(session, sub_id, entry.notification, rid, entry.group, in_batch)
        session.subscriptions[sub_id] = sink
        session.nursery.start_soon(self._run_subscription, session, entry, params, sink)
        if not in_batch:
            return None  # the sink answers by itself, before its first notification
        await sink._decided.wait()
        session._gates.append(sink)
        return sink._response

    async def _run_subscription(self, session: RpcSession, entry: _Entry, params: Params,
                                sink: SubscriptionSink) -> None:
        try:
            with sink._cancel_scope:
                try:
                    await entry.func(params, sink)
                except RpcError as exc:
                    if not sink._accepted:
                        sink._accepted = True
                        sink._answer(rpc_error_text(sink._request_id, exc))
                    else:
                        log.debug("subscription %s (%s) ended with %r", sink.id, entry.name, exc)
                except Exception:
                    log.exception("RPC subscription %s failed", entry.name)
                    if not sink._accepted:
                        sink._accepted = True
                        sink._answer(error_text(sink._request_id, INTERNAL_ERROR))
                else:
                    if not sink._accepted:
                        await sink.accept()
        finally:
            sink._closed = True
            if session.subscriptions.get(sink.id) is sink:
                del session.subscriptions[sink.id]
            if sink._decided is not None and not sink._decided.is_set():
                sink._response = error_text(sink._request_id, INTERNAL_ERROR)
                sink._decided.set()

    def _unsubscribe(self, session: RpcSession, entry: _Entry, rid: Any, params: Params) -> str:
        if type(params) is list:
            sub_id = params[0] if len(params) == 1 else None
        else:
            sub_id = params.get("subscription")
        if type(sub_id) is int:
            sub_id = str(sub_id)
        sink = session.subscriptions.get(sub_id) if type(sub_id) is str else None
        if sink is None or sink._group is not entry.group:
            return '{"jsonrpc":"2.0","id":' + encode(rid) + ',"result":false}'
        del session.subscriptions[sub_id]
        sink._close()
        return '{"jsonrpc":"2.0","id":' + encode(rid) + ',"result":true}'
