"""HTTP to the person's own engine: JSON requests and server-sent events, stdlib only.

Connections go to the addresses `remote_address` checked, never to the name again. A
stream can be stopped from another thread (Esc, Ctrl+C): a watcher shuts the socket
down, which ends the blocking read at once. Every failure becomes one `EngineFailure`
sentence that says what happened and what to do; server replies are never shown raw
beyond a short reason, and nothing here logs what was sent.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from typing import Any

from companion.engine.remote_address import Endpoint
from companion.errors import ModelError
from companion.i18n import t

CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 120.0
"""Longest wait for the next bytes: a big model on a busy server may take this long to
read a long prompt before its first token."""


class EngineFailure(ModelError):
    """The engine could not be reached or broke off; `status` is the HTTP status or 0."""

    def __init__(self, text: str, status: int = 0, detail: str = "") -> None:
        super().__init__(text)
        self.status = status
        self.detail = detail


class StreamBroken(EngineFailure):
    """The stream ended before the server said it was done."""


class _Connection(http.client.HTTPConnection):
    """A connection to the checked addresses, with TLS to the name the person wrote."""

    def __init__(self, endpoint: Endpoint, timeout: float) -> None:
        super().__init__(endpoint.host, endpoint.port, timeout=timeout)
        self.endpoint = endpoint

    def connect(self) -> None:
        failure: OSError | None = None
        for address in self.endpoint.addresses:
            try:
                sock = socket.create_connection((address, self.endpoint.port),
                                                timeout=CONNECT_TIMEOUT_S)
                break
            except OSError as exc:
                failure = exc
        else:
            assert failure is not None
            raise failure
        sock.settimeout(self.timeout)
        if self.endpoint.scheme == "https":
            sock = ssl.create_default_context().wrap_socket(sock,
                                                            server_hostname=self.endpoint.host)
        self.sock = sock


def _reason(body: bytes) -> str:
    """A short reason from an error body (llama-server and OpenAI shapes), never long."""
    try:
        data = json.loads(body)
        error = data.get("error", data) if isinstance(data, dict) else data
        text = error.get("message", "") if isinstance(error, dict) else str(error)
        if not text and isinstance(data, dict):
            text = str(data.get("detail", ""))
    except (ValueError, AttributeError):
        text = body.decode("utf-8", "replace")
    text = " ".join(str(text).split())
    return text[:160] + ("…" if len(text) > 160 else "")


class Http:
    """Requests to one checked endpoint; a new connection each time (no state to go stale)."""

    def __init__(self, endpoint: Endpoint, read_timeout: float = READ_TIMEOUT_S) -> None:
        self.endpoint = endpoint
        self.read_timeout = read_timeout

    def _fail(self, exc: BaseException, *, started: bool) -> EngineFailure:
        url = self.endpoint.url
        if isinstance(exc, EngineFailure):
            return exc
        if isinstance(exc, ConnectionRefusedError):
            return EngineFailure(t("engine_errors.engine_refused_connection", url=url))
        if isinstance(exc, ssl.SSLError):
            return EngineFailure(t("engine_errors.engine_tls_failed", url=url,
                                   reason=exc.reason or t("engine_errors.tls_error")))
        if isinstance(exc, socket.timeout | TimeoutError):
            if not started:
                return EngineFailure(t("engine_errors.engine_timeout", url=url))
            return StreamBroken(t("engine_errors.engine_stalled", url=url,
                                  seconds=f"{self.read_timeout:.0f}"))
        if started:
            return StreamBroken(t("engine_errors.engine_broke_off", url=url))
        return EngineFailure(t("engine_errors.engine_unreachable", url=url,
                               kind=type(exc).__name__))

    def _open(self, method: str, path: str, body: Any | None
              ) -> tuple[_Connection, http.client.HTTPResponse]:
        conn = _Connection(self.endpoint, self.read_timeout)
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        headers = {"Accept": "application/json, text/event-stream"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        try:
            conn.request(method, path, body=data, headers=headers)
            return conn, conn.getresponse()
        except Exception as exc:
            conn.close()
            raise self._fail(exc, started=False) from None

    def _refused(self, response: http.client.HTTPResponse, path: str) -> EngineFailure:
        try:
            detail = _reason(response.read(4096))
        except Exception:
            detail = ""
        why = f"HTTP {response.status}" + (f": {detail}" if detail else "")
        return EngineFailure(t("engine_errors.engine_refused_request", url=self.endpoint.url,
                               why=why), response.status, detail)

    def json(self, path: str, body: Any | None = None, *, missing_ok: bool = False) -> Any:
        """GET (no body) or POST a JSON request; None for a 404 when `missing_ok`."""
        conn, response = self._open("GET" if body is None else "POST", path, body)
        try:
            if missing_ok and response.status in (404, 405, 501):
                return None
            if response.status >= 400:
                raise self._refused(response, path)
            try:
                return json.loads(response.read())
            except ValueError:
                raise EngineFailure(t("engine_errors.engine_not_json",
                                      url=self.endpoint.url)) from None
            except Exception as exc:
                raise self._fail(exc, started=True) from None
        finally:
            conn.close()

    def events(self, path: str, body: Any, cancel: threading.Event) -> Iterator[dict[str, Any]]:
        """POST and yield each server-sent event's JSON until `[DONE]`.

        Setting `cancel` shuts the socket down within 50 ms; the iterator then ends
        quietly. A stream that ends without `[DONE]` raises StreamBroken.
        """
        conn, response = self._open("POST", path, body)
        done = threading.Event()

        def watch() -> None:
            while not done.wait(0.05):
                if cancel.is_set():
                    with contextlib.suppress(OSError, AttributeError):
                        conn.sock.shutdown(socket.SHUT_RDWR)  # type: ignore[union-attr]
                    return

        watcher = threading.Thread(target=watch, name="engine-cancel", daemon=True)
        try:
            if response.status >= 400:
                raise self._refused(response, path)
            watcher.start()
            while True:
                try:
                    line = response.readline()
                except Exception as exc:
                    if cancel.is_set():
                        return
                    raise self._fail(exc, started=True) from None
                if not line:
                    if cancel.is_set():
                        return
                    raise self._fail(ConnectionResetError(), started=True)
                text = line.decode("utf-8", "replace").strip()
                if not text.startswith("data:"):
                    continue  # comments, "event:" lines, blank separators
                payload = text[5:].strip()
                if payload == "[DONE]":
                    return
                try:
                    event = json.loads(payload)
                except ValueError:
                    continue
                if isinstance(event, dict) and "error" in event:
                    raise EngineFailure(t("engine_errors.engine_stream_error",
                                          url=self.endpoint.url,
                                          reason=_reason(payload.encode())))
                if isinstance(event, dict):
                    yield event
        finally:
            done.set()
            conn.close()
