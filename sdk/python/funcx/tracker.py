"""Follows tasks over one event stream: events go to the watch of each task; a task whose events may have been
missed (submitted while the stream was down, or across a reconnect) is caught up from its record; a task whose
final event is long in coming is looked up again, in case the stream lost it."""

import threading
import time

from .errors import FuncxError
from .events import MAX_URL_TASK_IDS, EventStream, StreamHandler

FINAL_STATES = frozenset(("success", "failed", "cancelled"))
# A task unfinished this long after it was submitted is looked up; then again after twice as long, up to the cap.
FALLBACK_AFTER_S = 60.0
FALLBACK_MAX_S = 600.0
WATCHDOG_TICK_S = 2.0


class Watch:
    """One task's listener. Its methods run on the tracker's threads, under the tracker's lock: keep them short."""

    __slots__ = ()
    next_check = 0.0
    check_interval = FALLBACK_AFTER_S

    def on_event(self, event):
        """A TaskEvent: {type: state | output | final, ...}."""

    def on_record(self, record):
        """The task's whole record (after a reconnect, or when its final event was long in coming)."""

    def on_lost(self, error):
        """The task cannot be followed (unknown to the hub, not yours, token revoked)."""


def final_event(record):
    """A final TaskEvent built from a finished task's record."""
    event = {"type": "final", "task_id": record["task_id"], "state": record["state"],
             "timestamps": record.get("timestamps", {})}
    if "endpoint_id" in record:
        event["endpoint_id"] = record["endpoint_id"]
    if record.get("result") is not None:
        event["result"] = record["result"]
    if record.get("error") is not None:
        event["error"] = record["error"]
    if record.get("streams"):
        event["streams"] = True
    return event


class OutputCursor:
    """What of a task's output a watcher has seen, so a record adds only the rest (records merge stream chunks)."""

    __slots__ = ("chars", "displays")

    def __init__(self):
        self.chars = {"stdout": 0, "stderr": 0}
        self.displays = 0

    def saw(self, output):
        if output.get("output_type") == "stream":
            self.chars[output.get("name")] = self.chars.get(output.get("name"), 0) + len(output.get("text", ""))
        else:
            self.displays += 1

    def unseen(self, outputs):
        """The outputs of a record that this cursor has not seen (and marks them seen)."""
        seen = dict(self.chars)
        displays = 0
        fresh = []
        for output in outputs:
            if output.get("output_type") == "stream":
                name = output.get("name")
                text = output.get("text", "")
                skip = min(seen.get(name, 0), len(text))
                seen[name] = seen.get(name, 0) - skip
                if skip < len(text):
                    fresh.append(dict(output, text=text[skip:]))
            else:
                displays += 1
                if displays > self.displays:
                    fresh.append(output)
        for output in fresh:
            self.saw(output)
        return fresh


class TaskTracker(StreamHandler):
    def __init__(self, client, fallback_after_s=FALLBACK_AFTER_S):
        self._client = client
        self._lock = threading.RLock()
        self._watches = {}
        self._submitting = 0
        self._orphans = {}
        self._stream = None
        self._closed = False
        self.fallback_after_s = fallback_after_s
        self._catchup = set()
        self._catchup_wake = threading.Condition(self._lock)
        self._threads = []
        self.endpoint_views = {}
        # Notified once per delivery of events or records (not once per task): map() waits on it.
        self.delivered = threading.Condition(threading.Lock())
        # Watches that follow every state change (a cell run's "waiting for the endpoint" note); futures do not.
        self.early_state_watchers = 0

    # ---- lifecycle ----

    def start(self):
        with self._lock:
            if self._stream is None and not self._closed:
                self._stream = EventStream(self._client.transport, self).start()
                for target, name in ((self._catch_up_loop, "funcx-catch-up"), (self._watchdog, "funcx-watchdog")):
                    thread = threading.Thread(target=target, name=name, daemon=True)
                    thread.start()
                    self._threads.append(thread)
            return self._stream

    def wait_connected(self, timeout):
        """Waits (up to `timeout` s) for the event stream to be open; False at once when its last attempt failed
        (the hub is away: the request that follows says so). A refused token raises."""
        stream = self.start()
        if stream is None:
            return False
        deadline = time.monotonic() + timeout
        while not stream.wait_connected(0.02):
            error = stream.error
            if error is not None and error.code == "FUNCX_UNAUTHORIZED":
                raise error
            if error is not None or time.monotonic() >= deadline:
                return False
        return True

    def close(self):
        with self._lock:
            self._closed = True
            stream, self._stream = self._stream, None
            self._catchup_wake.notify_all()
        if stream is not None:
            stream.close()

    @property
    def connected(self):
        stream = self._stream
        return stream is not None and stream.connected.is_set()

    def pending(self):
        with self._lock:
            return len(self._watches)

    # ---- submissions and watches ----

    def begin_submit(self):
        """Call before sending tasks; pass what it returns to attach(). Events of the tasks that arrive before
        their ids are known are kept meanwhile."""
        self.start()
        with self._lock:
            self._submitting += 1
            stream = self._stream
            return stream.epoch if stream is not None and stream.connected.is_set() else -1

    def end_submit(self):
        with self._lock:
            self._submitting -= 1
            if self._submitting == 0:
                self._orphans.clear()

    def attach(self, pairs, epoch=None):
        """Watches tasks: `pairs` of (task_id, Watch). `epoch` from begin_submit; None for tasks submitted long
        ago (they are caught up from their records)."""
        self.start()
        now = time.monotonic()
        first_check = now + self.fallback_after_s
        with self._lock:
            stream = self._stream
            complete = epoch is not None and epoch >= 0 and stream is not None and stream.epoch == epoch \
                and stream.connected.is_set()
            watches = self._watches
            orphans = self._orphans
            stale = []
            for task_id, watch in pairs:
                watches[task_id] = watch
                watch.next_check = first_check
                if orphans:
                    for event in orphans.pop(task_id, ()):
                        self._deliver(watch, event)
                if not complete and task_id in watches:
                    stale.append(task_id)
            if stale:
                self._catchup.update(stale)
                self._catchup_wake.notify()

    def unwatch(self, task_id):
        with self._lock:
            self._watches.pop(task_id, None)

    def _deliver(self, watch, event):
        watch.on_event(event)
        if event["type"] == "final":
            self._watches.pop(event["task_id"], None)

    def deliver_record(self, record):
        with self._lock:
            watch = self._watches.get(record["task_id"])
            if watch is None:
                return
            watch.on_record(record)
            if record.get("state") in FINAL_STATES:
                self._watches.pop(record["task_id"], None)

    def lose(self, task_ids, error):
        with self._lock:
            for task_id in task_ids:
                watch = self._watches.pop(task_id, None)
                if watch is not None:
                    watch.on_lost(error)

    # ---- the stream (its thread) ----

    def stream_task_ids(self):
        with self._lock:
            return list(self._watches)[:MAX_URL_TASK_IDS]

    def on_ready(self, epoch, named_ids):
        with self._lock:
            named = set(named_ids)
            rest = [task_id for task_id in self._watches if task_id not in named]
            if rest:
                self._catchup.update(rest)
                self._catchup_wake.notify()

    def on_snapshot(self, records):
        for record in records:
            self.deliver_record(record)
        self._notify_delivered()

    def _notify_delivered(self):
        with self.delivered:
            self.delivered.notify_all()

    def wait_done(self, future, deadline=None):
        """Waits until a TaskFuture (or a map's slot) is done, woken once per delivery rather than once per
        task; False if `deadline` (time.monotonic) passed first."""
        return self.wait_until(future.finished, deadline)

    def wait_until(self, predicate, deadline=None):
        if predicate():
            return True
        delivered = self.delivered
        with delivered:
            while not predicate():
                if deadline is None:
                    delivered.wait(0.2)
                else:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return False
                    delivered.wait(min(remaining, 0.2))
        return True

    def on_task_events(self, events):
        with self._lock:
            watches = self._watches
            for event in events:
                watch = watches.get(event["task_id"])
                if watch is not None:
                    watch.on_event(event)
                    if event["type"] == "final":
                        del watches[event["task_id"]]
                elif self._submitting:
                    self._orphans.setdefault(event["task_id"], []).append(event)
        self._notify_delivered()

    def wants_early_states(self):
        return self.early_state_watchers > 0

    def on_endpoint_status(self, views):
        for view in views:
            self.endpoint_views[view["endpoint_id"]] = view

    def on_refused(self, error):
        if error.code == "FUNCX_UNAUTHORIZED":
            with self._lock:
                ids = list(self._watches)
            self.lose(ids, error)
            return False
        # One of the named tasks is unknown or not yours: the message names it.
        with self._lock:
            named = list(self._watches)[:MAX_URL_TASK_IDS]
        culprits = [task_id for task_id in named if task_id in error.message] or named
        self.lose(culprits, error)
        return True

    # ---- catching up and looking up ----

    def _catch_up_loop(self):
        while True:
            with self._lock:
                while not self._catchup and not self._closed:
                    self._catchup_wake.wait()
                if self._closed:
                    return
                ids = [task_id for task_id in self._catchup if task_id in self._watches]
                self._catchup.clear()
            for start in range(0, len(ids), MAX_URL_TASK_IDS):
                chunk = ids[start:start + MAX_URL_TASK_IDS]
                try:
                    records, missing = self._client._records(chunk)
                except FuncxError as error:
                    if error.code == "FUNCX_UNAUTHORIZED":
                        self.lose(chunk, error)
                        continue
                    with self._lock:  # the hub is away: try again once the stream is back
                        self._catchup.update(chunk)
                    time.sleep(1.0)
                    continue
                for record in records:
                    self.deliver_record(record)
                self._notify_delivered()
                if missing:
                    self.lose(missing, FuncxError("FUNCX_TASK_NOT_FOUND", "No task with id %s" % missing[0], 404))

    def _watchdog(self):
        while not self._closed:
            time.sleep(WATCHDOG_TICK_S)
            now = time.monotonic()
            with self._lock:
                due = []
                for task_id, watch in self._watches.items():
                    if watch.next_check <= now:
                        watch.check_interval = min(watch.check_interval * 2, FALLBACK_MAX_S)
                        watch.next_check = now + watch.check_interval
                        due.append(task_id)
                if due:
                    self._catchup.update(due)
                    self._catchup_wake.notify()
