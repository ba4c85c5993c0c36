"""A TCP forwarder to a real server that a test can switch off and on: the server "goes down"
for the client behind it (its connections are cut, new ones refused) and comes back with its
state, which stopping a shared server could not give."""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType
from urllib.parse import urlsplit, urlunsplit

__all__ = ["TcpSwitch"]


class TcpSwitch:
    """``with TcpSwitch("redis://127.0.0.1:6379/0") as switch:`` clients use ``switch.url``."""

    def __init__(self, target_url: str) -> None:
        self._target = urlsplit(target_url)
        assert self._target.hostname is not None and self._target.port is not None
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self._up = True
        self._stopping = False
        self._lock = threading.Lock()
        self._live: list[socket.socket] = []
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        """``target_url`` with its address replaced by the switch's."""
        port = self._listener.getsockname()[1]
        return urlunsplit(self._target._replace(netloc=f"127.0.0.1:{port}"))

    def off(self) -> None:
        """Cut every connection now and refuse new ones until :meth:`on`."""
        with self._lock:
            self._up = False
            live, self._live = self._live, []
        for sock in live:
            _cut(sock)

    def on(self) -> None:
        with self._lock:
            self._up = True

    def __enter__(self) -> TcpSwitch:
        self._start(self._accept)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stopping = True
        self.off()
        for thread in self._threads:
            thread.join(timeout=5)
        self._listener.close()

    def _start(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self._stopping:
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            with self._lock:
                up = self._up
            if not up:
                _cut(client)
                continue
            assert self._target.hostname is not None and self._target.port is not None
            try:
                upstream = socket.create_connection((self._target.hostname, self._target.port))
            except OSError:
                _cut(client)
                continue
            with self._lock:
                self._live += [client, upstream]
            self._start(_pump, client, upstream)
            self._start(_pump, upstream, client)


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                sink.sendall(chunk)
    finally:
        _cut(source)
        _cut(sink)


def _cut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
