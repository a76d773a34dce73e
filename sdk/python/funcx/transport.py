"""HTTP to the hub: one keep-alive connection per thread, JSON in and out, the hub's errors as FuncxError,
429s retried after the time the hub gives. The standard library only (http.client)."""

import http.client
import json
import random
import socket
import threading
import time
import urllib.parse

from .errors import HUB_UNREACHABLE, FuncxError

# A connection idle longer than this is not reused: the hub may be about to close it (Node's keep-alive
# timeout is 72 s), and a request on a connection the server just closed might or might not have arrived.
MAX_IDLE_S = 20.0
# Codes for error replies without a JSON body (a proxy's, or Node's own 431).
_STATUS_CODES = {
    400: "FUNCX_BAD_REQUEST",
    401: "FUNCX_UNAUTHORIZED",
    403: "FUNCX_FORBIDDEN",
    404: "FUNCX_ROUTE_NOT_FOUND",
    408: "FUNCX_REQUEST_TIMEOUT",
    409: "FUNCX_TASK_FINISHED",
    413: "FUNCX_PAYLOAD_TOO_LARGE",
    414: "FUNCX_URI_TOO_LONG",
    431: "FUNCX_URI_TOO_LONG",
    429: "FUNCX_RATE_LIMITED",
}
_RETRY_ON_REUSED = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


def encode_json(value):
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


class _Connection:
    __slots__ = ("http", "last_used")

    def __init__(self, connection):
        self.http = connection
        self.last_used = 0.0


class Transport:
    def __init__(self, hub_url, token, timeout=60.0, rate_limit_retries=4):
        parts = urllib.parse.urlsplit(hub_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FuncxError("FUNCX_BAD_REQUEST", "The hub URL %r is not an http:// or https:// URL: set hub_url or "
                             "FUNCX_HUB_URL to one, e.g. http://127.0.0.1:8470" % hub_url)
        self.hub_url = hub_url.rstrip("/")
        self.timeout = timeout
        self.rate_limit_retries = rate_limit_retries
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if self._https else 80)
        self._prefix = parts.path.rstrip("/")
        self._headers = {"Authorization": "Bearer " + token, "Accept": "application/json"}
        self._json_headers = dict(self._headers, **{"Content-Type": "application/json"})
        self._local = threading.local()

    # ---- connections ----

    def new_connection(self, timeout):
        if self._https:
            connection = http.client.HTTPSConnection(self._host, self._port, timeout=timeout)
        else:
            connection = http.client.HTTPConnection(self._host, self._port, timeout=timeout)
        connection.connect()
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection

    def _pooled(self):
        pooled = getattr(self._local, "connection", None)
        if pooled is not None and time.monotonic() - pooled.last_used < MAX_IDLE_S:
            self._local.reused = True
            return pooled, True
        if pooled is not None:
            pooled.http.close()
        self._local.reused = False
        pooled = _Connection(self.new_connection(self.timeout))
        self._local.connection = pooled
        return pooled, False

    def _drop(self):
        pooled = getattr(self._local, "connection", None)
        if pooled is not None:
            pooled.http.close()
            self._local.connection = None

    def unreachable(self, error):
        if isinstance(error, socket.timeout):
            reason = "no answer within %g s" % self.timeout
        elif isinstance(error, ConnectionRefusedError):
            reason = "connection refused"
        else:
            reason = str(error) or type(error).__name__
        return FuncxError(
            HUB_UNREACHABLE,
            "The funcX hub at %s could not be reached (%s): check that funcx-hub is running and that the hub URL "
            "(hub_url, FUNCX_HUB_URL or credentials.json) points to it" % (self.hub_url, reason),
            503,
        )

    # ---- requests ----

    def path(self, path, query=None):
        if query:
            pairs = [(key, value) for key, value in query.items() if value is not None]
            if pairs:
                return self._prefix + path + "?" + urllib.parse.urlencode(pairs, safe=",/")
        return self._prefix + path

    def request(self, method, path, body=None, query=None):
        """The decoded JSON reply (None for 204); a FuncxError for every refusal."""
        url = self.path(path, query)
        data = body if body is None or isinstance(body, bytes) else encode_json(body)
        retries = 0
        while True:
            status, headers, payload = self._send(method, url, data)
            if status == 429 and retries < self.rate_limit_retries:
                retries += 1
                time.sleep(retry_wait(headers, payload))
                continue
            if status >= 400:
                raise error_from_reply(status, headers, payload)
            if not payload:
                return None
            return json.loads(payload)

    def request_bytes(self, method, path, body=None, query=None):
        """(headers, payload) of a request whose body (bytes) and reply are raw octets (the data store)."""
        url = self.path(path, query)
        headers = dict(self._headers, Accept="application/octet-stream, application/json")
        if body is not None:
            headers["Content-Type"] = "application/octet-stream"
        retries = 0
        while True:
            status, reply_headers, payload = self._send(method, url, body, headers)
            if status == 429 and retries < self.rate_limit_retries:
                retries += 1
                time.sleep(retry_wait(reply_headers, payload))
                continue
            if status >= 400:
                raise error_from_reply(status, reply_headers, payload)
            return reply_headers, payload

    def _send(self, method, url, data, headers=None):
        if headers is None:
            headers = self._json_headers if data is not None else self._headers
        for attempt in (0, 1):
            try:
                pooled, reused = self._pooled()
                pooled.http.request(method, url, body=data, headers=headers)
                reply = pooled.http.getresponse()
                payload = reply.read()
            except _RETRY_ON_REUSED as error:
                self._drop()
                # A kept-alive connection the hub closed meanwhile: the request never reached it.
                if attempt == 0 and getattr(self._local, "reused", False):
                    continue
                raise self.unreachable(error) from None
            except (OSError, http.client.HTTPException) as error:
                self._drop()
                raise self.unreachable(error) from None
            except BaseException:
                # Ctrl-C (KeyboardInterrupt) mid-request: the connection is in the middle of an exchange.
                self._drop()
                raise
            if reply.will_close:
                self._drop()
            else:
                pooled.last_used = time.monotonic()
            return reply.status, reply.headers, payload
        raise AssertionError("unreachable")

    def open_stream(self, path, query=None, read_timeout=45.0):
        """(connection, response) of a streaming GET on its own connection; a FuncxError if refused."""
        url = self.path(path, query)
        try:
            connection = self.new_connection(read_timeout)
            connection.request("GET", url, headers=dict(self._headers, Accept="text/event-stream"))
            reply = connection.getresponse()
        except (OSError, http.client.HTTPException) as error:
            raise self.unreachable(error) from None
        if reply.status != 200:
            try:
                payload = reply.read()
            except (OSError, http.client.HTTPException):
                payload = b""
            connection.close()
            raise error_from_reply(reply.status, reply.headers, payload)
        return connection, reply

    def close(self):
        self._drop()


def retry_wait(headers, payload):
    """Seconds to wait before retrying a 429: the hub's figure plus up to a tenth at random."""
    wait = None
    try:
        body = json.loads(payload) if payload else {}
    except ValueError:
        body = {}
    if isinstance(body, dict):
        if isinstance(body.get("retry_after_ms"), (int, float)):
            wait = body["retry_after_ms"] / 1000.0
        elif isinstance(body.get("retry_after_s"), (int, float)):
            wait = float(body["retry_after_s"])
    if wait is None:
        try:
            wait = float(headers.get("Retry-After") or 1)
        except ValueError:
            wait = 1.0
    return max(0.0, wait) * (1 + random.random() * 0.1)


def error_from_reply(status, headers, payload):
    body = None
    try:
        body = json.loads(payload) if payload else None
    except ValueError:
        pass
    if isinstance(body, dict) and isinstance(body.get("code"), str) and isinstance(body.get("message"), str):
        retry = body.get("retry_after_s")
        return FuncxError(body["code"], body["message"], status, retry if isinstance(retry, (int, float)) else None)
    code = _STATUS_CODES.get(status, "FUNCX_INTERNAL")
    text = payload.decode("utf-8", "replace").strip()[:200] if payload else ""
    detail = {431: "the request's headers are too large for the hub (a URL with too many task ids?)"}.get(status)
    return FuncxError(code, "The hub answered HTTP %d%s" % (status, ": " + (detail or text) if detail or text else ""),
                      status)
