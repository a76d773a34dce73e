"""TaskFuture: a concurrent.futures.Future for one task, fed by the client's event stream."""

import concurrent.futures
from concurrent.futures._base import CANCELLED, CANCELLED_AND_NOTIFIED, FINISHED, PENDING

from .tracker import OutputCursor, Watch, final_event

_DONE = (CANCELLED, CANCELLED_AND_NOTIFIED, FINISHED)
from .values import outcome


class TaskFuture(concurrent.futures.Future, Watch):
    """The future of one task. `task_id` is set once the hub has accepted the task; `outputs` holds what it
    printed and displayed (TaskOutput dicts), `stdout` and `stderr` the text. `cancel()` cancels the task itself,
    queued or running, and returns False only once it has finished."""

    def __init__(self, executor=None, allow_pickle=True, entry=False, on_output=None, convert=None):
        super().__init__()
        self.task_id = None
        self.outputs = []
        self.state = "pending"
        self._executor = executor
        self._allow_pickle = allow_pickle
        self._entry = entry
        self._on_output = on_output
        self._cursor = None
        self._convert = convert

    def __repr__(self):
        return "<TaskFuture %s %s>" % (self.task_id or "(not submitted yet)", self.state)

    @property
    def stdout(self):
        return "".join(o["text"] for o in self.outputs if o.get("output_type") == "stream" and o.get("name") == "stdout")

    @property
    def stderr(self):
        return "".join(o["text"] for o in self.outputs if o.get("output_type") == "stream" and o.get("name") == "stderr")

    # ---- cancelling ----

    def cancel(self):
        with self._condition:
            if self._state == FINISHED:
                return False
            if self._state in (CANCELLED, CANCELLED_AND_NOTIFIED):
                return True
        if self._executor is not None and not self._executor._cancel_task(self):
            return False
        return self._mark_cancelled()

    def _mark_cancelled(self):
        with self._condition:
            if self._state == FINISHED:
                return False
            if self._state in (CANCELLED, CANCELLED_AND_NOTIFIED):
                return True
            self.state = "cancelled"
            self._state = CANCELLED
            self._condition.notify_all()
        self.set_running_or_notify_cancel()
        self._invoke_callbacks()
        return True

    # ---- events from the tracker ----

    def on_event(self, event):
        kind = event["type"]
        if kind == "final":
            self._finish(event)
        elif kind == "output":
            self._output(event["output"])
        else:
            state = self.state = event["state"]
            if state == "running" and self._state == PENDING:
                self.set_running_or_notify_cancel()

    def finished(self):
        """done() without taking the future's lock (a plain read of its state)."""
        return self._state in _DONE

    def _output(self, output):
        self.outputs.append(output)
        if self._cursor is not None:
            self._cursor.saw(output)
        if self._on_output is not None:
            self._on_output(self, output)

    def on_record(self, record):
        if self._on_output is not None:
            if self._cursor is None:
                self._cursor = OutputCursor()
                for output in self.outputs:
                    self._cursor.saw(output)
            for output in self._cursor.unseen(record.get("outputs") or []):
                self._output(output)
        else:
            self.outputs = list(record.get("outputs") or [])
        state = record.get("state")
        if state in ("success", "failed", "cancelled"):
            self._finish(final_event(record))
        elif state:
            self.on_event({"type": "state", "task_id": record["task_id"], "state": state})

    def _resolve(self, value):
        """set_result without its cost when nobody waits (no waiter to wake, no callback to run)."""
        condition = self._condition
        with condition:
            if self._state in (CANCELLED, CANCELLED_AND_NOTIFIED, FINISHED):
                return
            self._result = value
            self._state = FINISHED
            for waiter in self._waiters:
                waiter.add_result(self)
            if condition._waiters:
                condition.notify_all()
        if self._done_callbacks:
            self._invoke_callbacks()

    def on_lost(self, error):
        if not self.done():
            self.state = "lost"
            self.set_exception(error)

    def _finish(self, final):
        state = final["state"]
        if state == "success" and self._convert is None and self._entry:
            # The common case, kept cheap (it runs for every task of a map): a JSON value.
            result = final.get("result")
            if result is not None and "value" in result:
                value = result["value"]
                if type(value) is not dict:
                    self.state = state
                    self._resolve(value)
                    return
        if self.done():
            return
        self.state = state
        if state == "cancelled":
            self._mark_cancelled()
            return
        value, error = outcome(self.task_id or final["task_id"], final, self._allow_pickle, self._entry)
        try:
            if error is None and self._convert is not None:
                value = self._convert(value)
            if error is None:
                self.set_result(value)
            else:
                self.set_exception(error)
        except concurrent.futures.InvalidStateError:
            pass  # cancelled here meanwhile

