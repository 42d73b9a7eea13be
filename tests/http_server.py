"""A local HTTP server for download tests: real sockets, real ranges, real failures.

Served paths:
  any path given to `add`      the bytes, honouring `Range: bytes=N-` (206, or 416 past the end)
  /redirect/<path>             302 to /<path>
  /loop/a, /loop/b             302 to each other, forever
  /busy                        503
  /forbidden                   403
  anything else                404
Per file: `ignore_range` (always 200 and the whole body), `drop_after` (send the whole
Content-Length, write that many bytes, then close: once), `stall_after` (write that many
bytes, then go silent until the server closes). Bodies go out in small pieces so a client
sees many reads even for a few hundred KB. Every request is recorded in `seen`.
"""

from __future__ import annotations

import re
import socket
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

PIECE = 16 * 1024


@dataclass
class Entry:
    data: bytes
    ignore_range: bool = False
    drop_after: int | None = None
    stall_after: int | None = None


@dataclass(frozen=True)
class Seen:
    path: str
    range: str | None
    user_agent: str | None
    headers: tuple[tuple[str, str], ...]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        owner = self.server.owner
        path = urlsplit(self.path).path
        owner.record(Seen(path, self.headers.get("Range"), self.headers.get("User-Agent"),
                          tuple(self.headers.items())))
        if path == "/busy":
            return self._empty(503)
        if path == "/forbidden":
            return self._empty(403)
        if path in ("/loop/a", "/loop/b"):
            return self._empty(302, Location="/loop/b" if path == "/loop/a" else "/loop/a")
        if path.startswith("/redirect/"):
            return self._empty(302, Location=path[len("/redirect"):])
        entry = owner.files.get(path)
        if entry is None:
            return self._empty(404)
        start, size = 0, len(entry.data)
        wanted = self.headers.get("Range")
        if wanted and not entry.ignore_range:
            match = re.fullmatch(r"bytes=(\d+)-", wanted)
            assert match, wanted
            start = int(match[1])
            if start >= size:
                return self._empty(416, **{"Content-Range": f"bytes */{size}"})
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        else:
            self.send_response(200)
        body = entry.data[start:]
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with owner.lock:
            drop, entry.drop_after = entry.drop_after, None
        limit = next((n for n in (drop, entry.stall_after) if n is not None), len(body))
        try:
            for at in range(0, min(limit, len(body)), PIECE):
                self.wfile.write(body[at:min(at + PIECE, limit)])
            self.wfile.flush()
            if drop is not None:
                self.connection.shutdown(socket.SHUT_WR)
            elif entry.stall_after is not None:
                owner.closing.wait(10)
        except OSError:
            pass  # the client went away (cancelled): nothing to do
        self.close_connection = True

    def _empty(self, code: int, **headers: str) -> None:
        self.send_response(code)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: FileServer

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client hanging up mid-body is part of the tests, not a failure


class FileServer:
    """`with FileServer() as server:` serves on 127.0.0.1 on a free port in a daemon thread."""

    def __init__(self) -> None:
        self.files: dict[str, Entry] = {}
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        self.closing = threading.Event()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    def add(self, path: str, data: bytes, **options: object) -> str:
        """Serve `data` at `path` (see Entry for options); return its URL."""
        self.files[path] = Entry(data, **options)  # type: ignore[arg-type]
        return self.url(path)

    def url(self, path: str) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}{path}"

    def record(self, seen: Seen) -> None:
        with self.lock:
            self.seen.append(seen)

    def ranges(self, path: str | None = None) -> list[str | None]:
        """The Range header of every request (to `path`), None where there was none."""
        with self.lock:
            return [s.range for s in self.seen if path is None or s.path == path]

    def __enter__(self) -> FileServer:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)
