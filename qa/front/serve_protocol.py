"""`qa serve`'s HTTP connections: uvicorn's h11 protocol with a deadline for each request's headers
and a cap on open connections, so clients that connect and send slowly (slowloris) or not at all
cannot hold the server's sockets and file handles; and TCP_NODELAY, so keep-alive replies are not
held back by Nagle's algorithm."""

from __future__ import annotations

import contextlib
import socket

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


class GuardedH11Protocol(H11Protocol):
    """A connection must send each request's headers within `header_timeout` seconds of connecting
    (or of its first byte after a response); one that does not is closed. Past `max_connections`
    the oldest connection with no request in flight is closed to make room (the new one if all are
    busy). Set both on a subclass (`guarded_protocol`)."""

    header_timeout: float = 10.0
    max_connections: int = 1000

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # A response goes out as two writes (head, body): with Nagle's algorithm on, the body of every
        # reply but a connection's first waits for the client's delayed ACK, ~40 ms per request.
        # asyncio sets TCP_NODELAY only on sockets made with proto=IPPROTO_TCP, and a socket bound
        # by hand (proto 0) is not one of them.
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._opened = self.loop.time()
        self._header_timer = None
        if len(self.connections) > self.max_connections:
            self._make_room()
        self._await_headers()

    def data_received(self, data: bytes) -> None:
        if self._idle():
            self._await_headers()  # a request starts: its headers have until the timer
        super().data_received(data)
        if not self._idle():
            self._stop_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_timer()
        super().connection_lost(exc)

    def _idle(self) -> bool:
        """No request in flight: waiting for headers, or kept alive after a response."""
        return self.cycle is None or self.cycle.response_complete

    def _await_headers(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _stop_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self._idle():
            self._close()

    def _make_room(self) -> None:
        idle = [c for c in self.connections if c is not self and isinstance(c, GuardedH11Protocol) and c._idle()
                and not c.transport.is_closing()]
        (min(idle, key=lambda c: c._opened) if idle else self)._close()

    def _close(self) -> None:
        if not self.transport.is_closing():
            with contextlib.suppress(h11.LocalProtocolError):
                self.conn.send(h11.ConnectionClosed())
            self.transport.close()


def guarded_protocol(header_timeout: float, max_connections: int) -> type[GuardedH11Protocol]:
    return type("ServeProtocol", (GuardedH11Protocol,), {"header_timeout": header_timeout,
                                                         "max_connections": max_connections})
