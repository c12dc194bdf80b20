"""Issue 12 item 2: a JSON-RPC batch is served one item at a time, and its answer is built as
bytes in pieces, so one request costs the node about its body plus the response limit.

The incremental parser (iter_batch / batch_length) must agree with json.loads: the same
items for a valid array, the same error class for anything else. The answer's pieces must
add up to exactly the JSON text a join would have given, over HTTP and WebSocket.
"""
from __future__ import annotations

import json
import tracemalloc

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from node.rpc import RpcModule
from node.rpc.jsonrpc import Dispatcher
from node.rpc.jsonrpc_wire import (
    DECODE_INLINE_LIMIT,
    PARSE_ERROR_RESPONSE,
    PIECE,
    BatchAnswer,
    batch_length,
    iter_batch,
)
from tests.rpc.rpc_harness import Toy, WsClient, post, req, running

# --- the parser against json.loads -------------------------------------------------------------

scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
           | st.text(max_size=12))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=20)
spaces = st.text(alphabet=" \t\n\r", max_size=3)


@st.composite
def arrays(draw) -> str:
    """A JSON array as some client could write it: any items, any JSON whitespace between tokens."""
    items = draw(st.lists(values, max_size=8))
    ascii_only = draw(st.booleans())
    parts = [draw(spaces), "[", draw(spaces)]
    for index, item in enumerate(items):
        if index:
            parts += [draw(spaces), ",", draw(spaces)]
        parts.append(json.dumps(item, ensure_ascii=ascii_only, indent=draw(st.sampled_from([None, 1]))))
    parts += [draw(spaces), "]", draw(spaces)]
    return "".join(parts)


def loads_outcome(text: str):
    try:
        return "ok", json.loads(text)
    except (ValueError, RecursionError) as exc:
        return "error", type(exc) if isinstance(exc, RecursionError) else ValueError


def batch_outcome(text: str):
    try:
        return "ok", list(iter_batch(text))
    except (ValueError, RecursionError) as exc:
        return "error", type(exc) if isinstance(exc, RecursionError) else ValueError


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(text=arrays())
def test_valid_arrays_parse_to_what_json_loads_gives(text):
    expected = json.loads(text)
    assert list(iter_batch(text)) == expected
    assert batch_length(text) == len(expected)


@st.composite
def damaged_arrays(draw) -> str:
    """A valid array with one character deleted, inserted or replaced somewhere, or cut short."""
    text = draw(arrays())
    at = draw(st.integers(0, len(text)))
    edit = draw(st.sampled_from(["delete", "insert", "replace", "cut"]))
    char = draw(st.sampled_from(list('[]{},:"\\ 0-1.eE') + ["x", "tru", "nul", "\x00", "\u00e9", "NaN"]))
    if edit == "delete":
        return text[:at] + text[at + 1:]
    if edit == "insert":
        return text[:at] + char + text[at:]
    if edit == "replace":
        return text[:at] + char + text[at + 1:]
    return text[:at]


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(text=damaged_arrays())
@example(text="[1,]")
@example(text="[,1]")
@example(text="[1 2]")
@example(text="[1]]")
@example(text="[1] x")
@example(text="[")
@example(text="[" * 100_000)                 # nesting too deep: RecursionError for both
@example(text="[" + "9" * 5000 + "]")        # an int past the digit limit: ValueError for both
@example(text="[NaN, -Infinity]")            # json.loads takes these; so does the batch parser
def test_any_text_starting_an_array_fails_or_parses_as_json_loads_does(text):
    if not text.lstrip(" \t\n\r").startswith("["):
        text = "[" + text
    expected = loads_outcome(text)
    got = batch_outcome(text)
    if expected[0] == "ok" and got[0] == "ok":
        assert json.dumps(got[1]) == json.dumps(expected[1])  # NaN != NaN, its text is equal
    else:
        assert got == expected
    assert (batch_length(text) is None) == (expected[0] == "error")


def test_not_an_array_is_refused():
    for text in ('{"a": 1}', "1", "", "   ", '"["'):
        with pytest.raises(ValueError):
            list(iter_batch(text))
        assert batch_length(text) is None


# --- the answer in pieces ------------------------------------------------------------------------

@given(sizes=st.lists(st.sampled_from([1, 30, 1000, 70_000, 300_000]), min_size=1, max_size=40))
@settings(max_examples=40, deadline=None)
def test_batch_answer_pieces_are_the_joined_text(sizes):
    answers = [json.dumps({"id": i, "r": "x" * size}) for i, size in enumerate(sizes)]
    out = BatchAnswer()
    for answer in answers:
        out.add(answer)
        assert out.size == len("[" + ",".join(answers[:out.count]) + "]")
    out.finish()
    joined = b"".join(bytes(chunk) for chunk in out.chunks())
    assert joined == ("[" + ",".join(answers) + "]").encode()
    assert str(out) == joined.decode() and out.size == len(joined)
    # small answers share pieces: far fewer pieces than answers, none much past PIECE
    assert all(len(chunk) < PIECE + 300_000 for chunk in out.chunks())


# --- the dispatcher and the transports -------------------------------------------------------------

def _counting_module():
    module = RpcModule()
    calls = []

    @module.method("note")
    def note(params):
        calls.append(params[0])
        return params[0]
    return module, calls


def _batch_bytes(n: int, pad: int = 0) -> bytearray:
    items = [{"jsonrpc": "2.0", "id": i, "method": "note", "params": [i, "p" * pad]} for i in range(n)]
    return bytearray(json.dumps(items, separators=(", ", ": ")).encode())


async def test_a_big_batch_is_answered_item_by_item_and_its_body_released():
    module, calls = _counting_module()
    dispatcher = Dispatcher(module, allow_unsafe=True)
    body = _batch_bytes(20_000)
    assert len(body) > DECODE_INLINE_LIMIT  # the big-message path (worker thread, one pass to check)
    answer = await dispatcher.handle(dispatcher.session(), body)
    assert body == bytearray()  # consumed: the request is held once, as text, while it is served
    assert isinstance(answer, BatchAnswer)
    assert json.loads(str(answer)) == [{"jsonrpc": "2.0", "id": i, "result": i} for i in range(20_000)]
    assert calls == list(range(20_000))


async def test_a_big_batch_malformed_at_its_end_runs_nothing():
    """As jsonrpsee: a syntax error anywhere refuses the whole batch before any item runs."""
    module, calls = _counting_module()
    dispatcher = Dispatcher(module, allow_unsafe=True)
    for tail in (b",]", b"] x", b"", b", {\"a\": }]"):
        body = _batch_bytes(20_000)
        body[-1:] = tail
        assert await dispatcher.handle(dispatcher.session(), body) == PARSE_ERROR_RESPONSE
    assert calls == []


async def test_big_batch_limits_hold_on_the_streamed_path():
    module, calls = _counting_module()
    dispatcher = Dispatcher(module, allow_unsafe=True, max_batch_len=19_999)
    answer = await dispatcher.handle(dispatcher.session(), _batch_bytes(20_000))
    assert json.loads(answer)["error"]["code"] == -32010 and calls == []
    dispatcher = Dispatcher(module, allow_unsafe=True, max_response_bytes=100_000)
    answer = await dispatcher.handle(dispatcher.session(), _batch_bytes(20_000))
    assert json.loads(answer)["error"] == {"code": -32011, "message": "The batch response was too large",
                                           "data": "Exceeded max limit of 100000"}
    assert 0 < len(calls) < 20_000  # stopped at the first answer past the limit


async def test_peak_memory_of_a_big_batch_is_body_plus_answer():
    """tracemalloc's peak while one 3 MB batch of small calls is served, over the body the
    transport holds: the text (while it is decoded, the bytes are still there; then they are
    emptied), then the answer's bytes beside the text; not a Python object per item, not
    the answer held twice. (Before: about body + 8 bytes an item + 100 bytes an answer + the
    joined answer.)"""
    module, _calls = _counting_module()
    dispatcher = Dispatcher(module, allow_unsafe=True)
    tracemalloc.start()
    try:
        body = _batch_bytes(40_000, pad=40)
        size = len(body)
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        answer = await dispatcher.handle(dispatcher.session(), body)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert answer.count == 40_000
    assert peak - before < max(size, answer.size) + 2 * PIECE, (peak - before, size, answer.size)


async def test_big_batch_answers_arrive_whole_over_http_and_websocket():
    """Answers past one piece: HTTP sends the pieces one after the other under one
    Content-Length, WebSocket as one text frame; both must carry exactly the batch's answer."""
    async with running(Toy()) as server:
        batch = [req("echo", ["v" * 100, i], id=i) for i in range(30_000)]
        expected = [{"jsonrpc": "2.0", "id": i, "result": ["v" * 100, i]} for i in range(30_000)]
        r = await post(server.port, batch)
        assert int(r.headers["content-length"]) == len(r.content) > 2 * PIECE
        assert r.json() == expected
        client = await WsClient.connect(server.port)
        await client.send(batch)
        assert await client.recv(timeout=30) == expected
        assert await client.call("echo", [1], id=5) == {"jsonrpc": "2.0", "id": 5, "result": [1]}


async def test_small_answers_still_go_out_with_their_headers():
    async with running(Toy()) as server:
        r = await post(server.port, [req("echo", [1], id=1), req("echo", [2], id=2)])
        assert r.json() == [{"jsonrpc": "2.0", "id": 1, "result": [1]}, {"jsonrpc": "2.0", "id": 2, "result": [2]}]
