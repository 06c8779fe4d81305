"""A real HTTP server on 127.0.0.1 serving a mirror folder (<list id>/<file>), with per-path faults.

ETag / Last-Modified and conditional GET like a real publisher's server; faults are what publishers and networks
really do: 5xx, 404, hangs, truncated and empty bodies, redirects, and bodies replaced by other bytes.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

FAULTS = ("500", "503", "404", "hang", "truncate", "empty", "redirect", "drip", "nolength")
REDIRECT_PREFIX = "/_moved"


@dataclass
class Request:
    path: str
    status: int
    conditional: bool


@dataclass
class MirrorState:
    root: Path
    faults: dict[str, str] = field(default_factory=dict)  # path -> fault
    flaky: dict[str, int] = field(default_factory=dict)  # path -> how many more 503s before serving
    bodies: dict[str, bytes] = field(default_factory=dict)  # path -> bytes served instead of the file
    requests: list[Request] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)  # ends hangs at teardown
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        return  # keep pytest output clean

    def _record(self, path: str, status: int) -> None:
        with self.server.state.lock:
            conditional = "If-None-Match" in self.headers or "If-Modified-Since" in self.headers
            self.server.state.requests.append(Request(path, status, conditional))

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        state = self.server.state
        path = urlsplit(self.path).path
        redirected = path.startswith(REDIRECT_PREFIX + "/")
        if redirected:
            path = path[len(REDIRECT_PREFIX) :]
        fault = None if redirected else state.faults.get(path)
        with state.lock:
            if state.flaky.get(path, 0) > 0:
                state.flaky[path] -= 1
                fault = "503"
        if fault == "redirect":
            self._record(path, 302)
            return self._send(302, headers={"Location": REDIRECT_PREFIX + path})
        body = state.bodies.get(path)
        file = (state.root / path.lstrip("/")).resolve()
        if body is None:
            if state.root.resolve() not in file.parents or not file.is_file():
                self._record(path, 404)
                return self._send(404, b"not found")
            body = file.read_bytes()
        if fault in ("500", "503", "404"):
            self._record(path, int(fault))
            return self._send(int(fault), b"fault injected")
        if fault == "hang":
            self._record(path, 0)
            state.release.wait(30)
            self.close_connection = True
            return None
        if fault == "empty":
            self._record(path, 200)
            return self._send(200, b"")
        if fault == "nolength":  # HTTP/1.0 style: no Content-Length, the body ends when the connection closes
            self._record(path, 200)
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True
            return None
        if fault in ("truncate", "drip"):
            self._record(path, 200)
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if fault == "drip":  # a byte now and then: never idle long enough for a read timeout
                for i in range(len(body)):
                    if state.release.wait(0.05):
                        break
                    self.wfile.write(body[i : i + 1])
                    self.wfile.flush()
            else:
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
            self.close_connection = True
            return None
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        mtime = file.stat().st_mtime if file.is_file() else time.time()
        headers = {
            "ETag": etag,
            "Last-Modified": formatdate(mtime, usegmt=True),
            "Content-Type": "application/octet-stream",
        }
        if self.headers.get("If-None-Match") == etag:
            self._record(path, 304)
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return None
        self._record(path, 200)
        return self._send(200, body, headers)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: MirrorState

    def handle_error(self, request: object, client_address: object) -> None:
        return  # a client that gave up mid-body (the point of several faults) is not an error here


class MirrorServer:
    """Serve `root` on a free port of 127.0.0.1 until `close()`."""

    def __init__(self, root: Path) -> None:
        self.state = MirrorState(root)
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.state = self.state
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="mirror-server", daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def fault(self, list_id: str, name: str, fault: str) -> None:
        assert fault in FAULTS, fault
        self.state.faults[f"/{list_id}/{name}"] = fault

    def flaky(self, list_id: str, name: str, times: int) -> None:
        self.state.flaky[f"/{list_id}/{name}"] = times

    def serve_bytes(self, list_id: str, name: str, body: bytes) -> None:
        self.state.bodies[f"/{list_id}/{name}"] = body

    def reset(self) -> None:
        self.state.faults.clear()
        self.state.flaky.clear()
        self.state.bodies.clear()
        self.state.requests.clear()

    def requests_for(self, list_id: str, name: str | None = None) -> list[Request]:
        prefix = f"/{list_id}/{name}" if name else f"/{list_id}/"
        with self.state.lock:
            return [r for r in self.state.requests if r.path.startswith(prefix)]

    def close(self) -> None:
        self.state.release.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)
