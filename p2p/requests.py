"""Request/response protocols: serving, rate limits, pooled streams, timeouts."""
from __future__ import annotations

from typing import Any

import trio

from p2p import envelope as env
from p2p.config import (
    RequestProtocol,
)
from p2p.errors import (
    MalformedFrame, PeerNotConnected,
    RequestFailed, RequestRefused, RequestTimeout, StreamClosed,
)
from p2p.framing import FramedStream, encode_frame
from p2p.reputation import Rep

from p2p.peer import (
    log,
)


class RequestsMixin:
    """NetworkService's requests and responses (a mixin)."""

    # ------------------------------------------------------------------ request / response

    async def _serve_request_stream(self, p: RequestProtocol, stream: Any) -> None:
        peer = await self._wait_ready(self._peer_for_stream(stream))
        fs = FramedStream(stream)
        if peer is None or peer.inbound_req >= self.config.max_request_streams_per_peer:
            await fs.reset()
            return
        peer.inbound_req += 1
        limit = p.max_request_size + env.OVERHEAD
        try:
            while not peer.closed:
                body = None
                with trio.move_on_after(self.config.request_idle_timeout):
                    try:
                        body = await fs.read_frame(limit)
                        kind, msg = env.decode(body)
                        if kind != env.REQUEST:
                            raise MalformedFrame(f"unexpected kind {kind}")
                        payload = env.parse_payload(msg)
                    except StreamClosed:
                        await fs.close()
                        return
                    except MalformedFrame as exc:   # FrameTooLarge included
                        await self._reject_frame(peer, fs, exc, f"{p.protocol_id} request", "requests_oversize")
                        return
                if body is None:   # idle
                    await fs.close()
                    return
                self.counters["requests_in"] += 1
                if len(payload) > p.max_request_size:
                    self.report_peer(peer.id, Rep.OVERSIZE, f"{p.protocol_id} request payload")
                    out = env.encode_error(env.ERR_TOO_LARGE, "request too large")
                elif not peer.bucket(p.protocol_id, p.rate, p.burst).take():
                    self.counters["requests_rate_limited"] += 1
                    self.report_peer(peer.id, Rep.RATE_LIMITED, f"{p.protocol_id}: rate limit")
                    out = env.encode_error(env.ERR_RATE_LIMITED, "rate limited")
                else:
                    out = await self._call_handler(p, peer.id, payload)
                try:
                    await fs.write_frame(out)
                except StreamClosed:
                    return
        finally:
            peer.inbound_req -= 1

    async def _call_handler(self, p: RequestProtocol, peer_id: str, payload: bytes) -> bytes:
        if p.handler is None:
            return env.encode_error(env.ERR_UNAVAILABLE, "no handler")
        try:
            with trio.fail_after(p.handler_timeout):
                resp = await p.handler(peer_id, payload)
        except RequestRefused as exc:
            return env.encode_error(exc.code, exc.reason)
        except trio.TooSlowError:
            return env.encode_error(env.ERR_TIMEOUT, "handler timeout")
        except Exception as exc:
            log.exception("request handler %s raised", p.protocol_id)
            return env.encode_error(env.ERR_HANDLER, f"handler error: {type(exc).__name__}")
        if not isinstance(resp, (bytes, bytearray, memoryview)):
            log.error("request handler %s returned %s, not bytes", p.protocol_id, type(resp).__name__)
            return env.encode_error(env.ERR_HANDLER, "handler returned non-bytes")
        if len(resp) > p.max_response_size:
            log.error("request handler %s: response %d > %d", p.protocol_id, len(resp), p.max_response_size)
            return env.encode_error(env.ERR_TOO_LARGE, "response too large")
        return env.encode_response(bytes(resp))

    async def request(self, peer_id: str, protocol: str, payload: bytes, timeout: float = 10.0, *,
                      reuse_stream: bool = True, max_response_size: int | None = None) -> bytes:
        """Send one request and wait for its response bytes.

        Raises :class:`PeerNotConnected`, :class:`RequestTimeout`,
        :class:`RequestRefused` (the remote answered with an error) or
        :class:`RequestFailed`.
        """
        from libp2p.custom_types import TProtocol

        peer = self._peers.get(peer_id)
        if peer is None or peer.closed or not peer.ready.is_set():
            raise PeerNotConnected(peer_id)
        p = self._req_protocols.get(protocol)
        if max_response_size is None:
            max_response_size = p.max_response_size if p is not None else RequestProtocol(protocol).max_response_size
        if p is not None and len(payload) > p.max_request_size:
            raise ValueError(f"{protocol}: request {len(payload)} > max_request_size {p.max_request_size}")
        frame = encode_frame(env.encode_request(payload))
        self.counters["requests_out"] += 1
        fs: FramedStream | None = None
        body = b""
        try:
            with trio.fail_after(timeout):
                for attempt in (0, 1):
                    pooled = False
                    fs = None
                    if reuse_stream:
                        pool = peer.pool.get(protocol)
                        if pool:
                            fs = pool.pop()
                            pooled = True
                    if fs is None:
                        try:
                            fs = FramedStream(await self._host.new_stream(peer.pid, [TProtocol(protocol)]))
                        except trio.TooSlowError:
                            raise
                        except Exception as exc:
                            raise RequestFailed(f"cannot open {protocol} stream: {exc!r}") from exc
                    try:
                        await fs.write_raw(frame)
                        body = await fs.read_frame(max_response_size + env.OVERHEAD)
                        break
                    except StreamClosed as exc:
                        await fs.reset()
                        fs = None
                        if pooled and attempt == 0 and not peer.closed:
                            continue   # the server closed an idle pooled stream: retry fresh
                        raise RequestFailed(f"stream closed: {exc}") from exc
        except trio.TooSlowError:
            if fs is not None:
                with trio.CancelScope(shield=True):
                    await fs.reset()
            self.counters["requests_timeout"] += 1
            raise RequestTimeout(f"{protocol} to {peer_id} timed out after {timeout}s") from None
        except MalformedFrame as exc:
            if fs is not None:
                await fs.reset()
            self.report_peer(peer_id, Rep.BAD_RESPONSE, f"{protocol} response: {exc}")
            raise RequestFailed(f"bad response: {exc}") from exc
        assert fs is not None
        try:
            kind, msg = env.decode(body)
            if kind == env.RESPONSE:
                result = env.parse_payload(msg)
                if len(result) > max_response_size:
                    raise MalformedFrame("response payload over limit")
                refused = None
            elif kind == env.ERROR:
                code, reason = env.parse_error(msg)
                refused = RequestRefused(reason, code)
            else:
                raise MalformedFrame(f"unexpected kind {kind}")
        except MalformedFrame as exc:
            await fs.reset()
            self.report_peer(peer_id, Rep.BAD_RESPONSE, f"{protocol} response: {exc}")
            raise RequestFailed(f"bad response: {exc}") from exc
        if reuse_stream and not peer.closed and len(peer.pool.setdefault(protocol, [])) < self.config.request_pool_size:
            peer.pool[protocol].append(fs)
        else:
            await fs.close()
        if refused is not None:
            raise refused
        return result
