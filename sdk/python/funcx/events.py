"""The hub's event stream (GET /v1/events, Server-Sent Events), read by one background thread and opened again
whenever it drops, asking each time for the records of the tasks still awaited."""

import http.client
import json
import socket
import threading
import time

from .errors import FuncxError

# Task ids named in one stream URL (?tasks=): Node accepts request headers up to 16 KiB, and an id with its comma
# takes 37 bytes. Tasks beyond these are caught up by the handler after the stream is open.
MAX_URL_TASK_IDS = 300
# A stream silent for this long is dead: the hub sends a keepalive comment every 15 s.
READ_TIMEOUT_S = 45.0
RECONNECT_BACKOFF_S = (0.05, 0.2, 0.5, 1.0, 2.0, 5.0)
# Refusals that do not heal by trying again.
FATAL_CODES = ("FUNCX_UNAUTHORIZED",)


class StreamHandler:
    """What an EventStream calls, from its thread."""

    def stream_task_ids(self):
        """The task ids whose records the next connection should start with."""
        return []

    def on_ready(self, epoch, named_ids):
        """The stream is open (epoch counts connections); `named_ids` were asked for in its URL."""

    def on_snapshot(self, records):
        pass

    def on_task_events(self, events):
        pass

    def wants_early_states(self):
        """Whether state events before `running` matter (batches of nothing else are skipped otherwise)."""
        return True

    def on_endpoint_status(self, views):
        pass

    def on_disconnect(self, error):
        pass

    def on_refused(self, error):
        """A refusal of the stream itself (a task that is not yours, an unknown one, a revoked token); returns
        True to try again (after the handler dropped what it refused)."""
        return False


class EventStream:
    def __init__(self, transport, handler, read_timeout=READ_TIMEOUT_S):
        self._transport = transport
        self._handler = handler
        self._read_timeout = read_timeout
        self._closed = False
        self._connection = None
        self._lock = threading.Lock()
        self.epoch = 0
        self.connected = threading.Event()
        self.error = None
        self._thread = threading.Thread(target=self._run, name="funcx-events", daemon=True)

    def start(self):
        self._thread.start()
        return self

    def wait_connected(self, timeout):
        return self.connected.wait(timeout)

    def close(self):
        self._closed = True
        with self._lock:
            connection = self._connection
        if connection is not None and connection.sock is not None:
            try:
                connection.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    @property
    def alive(self):
        return self._thread.is_alive()

    def _run(self):
        failures = 0
        while not self._closed:
            ids = list(self._handler.stream_task_ids())[:MAX_URL_TASK_IDS]
            query = {"tasks": ",".join(ids)} if ids else None
            try:
                connection, reply = self._transport.open_stream("/v1/events", query, self._read_timeout)
            except FuncxError as error:
                self.error = error
                if self._closed:
                    break
                if error.code in FATAL_CODES:
                    self._handler.on_refused(error)
                    break
                if error.status in (400, 403, 404) and self._handler.on_refused(error):
                    continue
                failures += 1
                time.sleep(RECONNECT_BACKOFF_S[min(failures, len(RECONNECT_BACKOFF_S)) - 1])
                continue
            with self._lock:
                self._connection = connection
            if self._closed:
                connection.close()
                break
            error = None
            try:
                self._read(reply, ids)
                failures = 0
            except (OSError, ValueError, http.client.HTTPException) as caught:
                error = caught
            finally:
                self.connected.clear()
                connection.close()
                with self._lock:
                    self._connection = None
            if self._closed:
                break
            self._handler.on_disconnect(error)
            failures += 1
            time.sleep(RECONNECT_BACKOFF_S[min(failures, len(RECONNECT_BACKOFF_S)) - 1])

    def _read(self, reply, ids):
        handler = self._handler
        loads = json.loads
        for event, data in iter_events(reply, decode=False):
            if event == "task:events":
                # A batch of nothing but early state changes (received, waiting…) matters only to handlers that
                # follow states; it is most of a large batch's events, and decoding it is most of their cost.
                if not handler.wants_early_states() and b'"final"' not in data and b'"output"' not in data \
                        and b'"running"' not in data:
                    continue
                handler.on_task_events(loads(data))
            else:
                self._dispatch(handler, event, loads(data), ids)

    def _dispatch(self, handler, event, payload, ids):
        if event == "snapshot":
            handler.on_snapshot(payload)
        elif event == "ready":
            self.epoch += 1
            self.error = None
            self.connected.set()
            handler.on_ready(self.epoch, ids)
        elif event == "endpoint:status":
            handler.on_endpoint_status(payload)


def iter_events(reply, decode=True):
    """(event name, data) of each Server-Sent Event of a streaming reply, until it ends: the data decoded from
    JSON, or its bytes (decode=False)."""
    buffer = b""
    event = None
    data = []
    loads = json.loads
    while True:
        chunk = reply.read1(1 << 20)
        if not chunk:
            return
        buffer = buffer + chunk if buffer else chunk
        start = 0
        while True:
            end = buffer.find(b"\n", start)
            if end < 0:
                break
            line = buffer[start:end]
            start = end + 1
            if line.endswith(b"\r"):
                line = line[:-1]
            if not line:
                if event is not None and data:
                    text = b"\n".join(data) if len(data) > 1 else data[0]
                    yield event, loads(text) if decode else text
                event = None
                data = []
            elif line.startswith(b"data:"):
                data.append(line[6:] if line[5:6] == b" " else line[5:])
            elif line.startswith(b"event:"):
                event = line[6:].strip().decode("utf-8", "replace")
            # ':' comments (the keepalives) and other fields are skipped
        buffer = buffer[start:]
