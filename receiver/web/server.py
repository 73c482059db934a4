"""The HTTP server around the app: uvicorn, with limits on what one connection can hold or stall.

uvicorn bounds idle keep-alive (`timeout_keep_alive`), concurrent connections (503 above
`limit_concurrency`) and graceful shutdown (`timeout_graceful_shutdown`), but not the size
or count of headers, nor how long a client may take to send them or the body. Its
httptools protocol is therefore subclassed here (`GuardedHttpTools`):

- the request line and headers must fit in `max_header_bytes` and `max_headers` lines, else
  431 (counted as bytes arrive, so an endless header is cut off at the limit, never held);
- they must arrive within `header_timeout_seconds` of the connection opening or of the
  request's first byte (408, or a plain close for a connection that sent nothing);
- the body must arrive within `body_timeout_seconds` of the headers, else the connection is
  closed (the app sees the client gone, and answers nothing).

`GuardedServer` closes whatever connections are still open once the graceful shutdown has
run out, so a stalled client cannot keep the process alive after SIGTERM.
"""

from __future__ import annotations

import asyncio
import gc
import json
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from receiver.config import ReceiverConfig
from receiver.config.limits import LimitsConfig
from receiver.errors import error_body


class _TooManyHeaders(Exception):
    """Raised inside the parser's header callback to stop it at the limit."""


def _raw_response(status: int, reason: str, body: dict[str, Any]) -> bytes:
    payload = json.dumps(body).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(payload)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + payload


class GuardedConfig(uvicorn.Config):
    """uvicorn's settings plus the receiver's limits, which each connection's protocol reads.

    A plain attribute on a module-level class, so the config survives being pickled into
    `serve --workers` processes with the limits still attached.
    """

    def __init__(self, app: Any, limits: LimitsConfig, *, freeze_heap: bool = False, **options: Any) -> None:
        self.limits = limits
        self.freeze_heap = freeze_heap
        super().__init__(app, **options)

    def load(self) -> None:
        """Load the app (in each worker, for `serve --workers`); then, with `freeze_heap`, freeze the heap.

        Everything built so far (the modules, the app, the definition and its schemas: most
        of the process's objects, and they live as long as it does) is moved out of the
        garbage collector's sight with `gc.freeze()`, so a full collection under load walks only
        what requests made since — milliseconds less on the event loop each time one runs
        (`bench/loop_stalls.py`). Off by default: a process that builds many apps (the tests)
        would keep each one's cycles for good.
        """
        super().load()
        if self.freeze_heap:
            gc.collect()
            gc.freeze()


class GuardedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol, with header size/count limits and header/body read timeouts."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        found = getattr(self.config, "limits", None)
        self.limits = found if isinstance(found, LimitsConfig) else LimitsConfig()
        super().connection_made(transport)
        self._head_open = True
        self._head_bytes = 0
        self._header_lines = 0
        self._too_large = ""
        self._head_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._body_due = False
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timers()
        super().connection_lost(exc)

    def _cancel_timers(self) -> None:
        for timer in (self._head_timer, self._body_timer):
            if timer is not None:
                timer.cancel()
        self._head_timer = self._body_timer = None

    def _arm_head_timer(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.limits.header_timeout_seconds, self._head_timed_out)

    def data_received(self, data: bytes) -> None:
        """Timers are armed after the parser has run on `data`: a request whose head (or whole
        body) came in this one read never needed one, and most do — a timer less to make and
        cancel per request."""
        if self.transport.is_closing():
            return
        if self._head_open:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._head_open:
            if self._head_bytes > self.limits.max_header_bytes and not self.transport.is_closing():
                self._refuse_head(f"The request line and headers are larger than {self.limits.max_header_bytes} bytes.")
            elif self._head_bytes:
                self._arm_head_timer()
        elif self._body_due and self._body_timer is None:
            self._body_timer = self.loop.call_later(self.limits.body_timeout_seconds, self._body_timed_out)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_lines = 0

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_lines += 1
        if self._header_lines > self.limits.max_headers:
            self._too_large = f"The request has more than {self.limits.max_headers} headers."
            raise _TooManyHeaders
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._head_open = False
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        self._body_due = True  # armed once this read is parsed, unless the body came with it
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._body_due = False
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None
        self._head_open = True
        self._head_bytes = 0
        super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        """The parser stopped: at the header limit that is a 431, anything else stays uvicorn's 400."""
        if self._too_large:
            self._refuse_head(self._too_large)
        else:
            super().send_400_response(msg)

    def _refuse_head(self, message: str) -> None:
        self.logger.warning("refused a request: %s", message)
        body = error_body("REQUEST_HEADER_FIELDS_TOO_LARGE", message)
        self.transport.write(_raw_response(431, "Request Header Fields Too Large", body))
        self.transport.close()

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or not self._head_open:
            return
        if self._head_bytes:
            message = f"The request line and headers did not arrive within {self.limits.header_timeout_seconds} s."
            self.transport.write(_raw_response(408, "Request Timeout", error_body("REQUEST_TIMEOUT", message)))
        self.transport.close()

    def _body_timed_out(self) -> None:
        self._body_timer = None
        if not self.transport.is_closing():
            self.logger.warning("closed a connection: its request body did not arrive in time")
            self.transport.close()


class GuardedServer(uvicorn.Server):
    """uvicorn's server; after the graceful shutdown's time is up, every connection still open is closed."""

    async def shutdown(self, sockets: Any = None) -> None:
        await super().shutdown(sockets)
        for connection in list(self.server_state.connections):
            transport = getattr(connection, "transport", None)
            if transport is not None and not transport.is_closing():
                transport.close()


ACCESS_LOG_LEVELS = frozenset({"trace", "debug", "info"})
"""uvicorn log levels that print access lines."""


def server_config(app: Any, settings: ReceiverConfig, **options: Any) -> GuardedConfig:
    """uvicorn's settings for the receiver: the limits of `settings.limits`, plus `options` (host, port, logs,
    `freeze_heap`)."""
    limits = settings.limits
    if "log_level" in options and "access_log" not in options:
        # Below `info` no access line is printed, so none is built (its path and fields cost ~2% per request).
        options["access_log"] = options["log_level"] in ACCESS_LOG_LEVELS
    return GuardedConfig(
        app,
        limits,
        http=GuardedHttpTools,
        limit_concurrency=limits.max_connections,
        timeout_keep_alive=max(1, round(limits.keep_alive_seconds)),
        timeout_graceful_shutdown=max(1, round(limits.shutdown_timeout_seconds)),
        h11_max_incomplete_event_size=limits.max_header_bytes,
        **options,
    )


def make_server(app: Any, settings: ReceiverConfig, **options: Any) -> GuardedServer:
    """A server for `app` with the receiver's limits (see `server_config`)."""
    return GuardedServer(server_config(app, settings, **options))
