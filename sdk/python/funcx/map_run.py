"""The tasks of one Executor.map() call: results kept by position, without a Future per task (a map of 10,000
no-ops would otherwise spend much of its time making and resolving futures nobody sees)."""

import concurrent.futures

from .tracker import Watch, final_event
from .values import outcome


class MapRun:
    def __init__(self, count, allow_pickle, on_output=None):
        self.values = [None] * count
        self.errors = {}
        self.finished = bytearray(count)
        self.cancelled = bytearray(count)
        self.running = bytearray(count)
        self.pending = count
        self.allow_pickle = allow_pickle
        self.on_output = on_output
        self.slots = [MapSlot(self, index) for index in range(count)]

    def resolve(self, index, final):
        if self.finished[index]:
            return
        if final["state"] == "success":
            result = final.get("result")
            if result is not None and "value" in result and type(result["value"]) is not dict:
                self.values[index] = result["value"]
                self._done(index)
                return
        if final["state"] == "cancelled":
            self.cancelled[index] = 1
            self.fail(index, concurrent.futures.CancelledError())
            return
        value, error = outcome(final["task_id"], final, self.allow_pickle, entry=True)
        if error is None:
            self.values[index] = value
            self._done(index)
        else:
            self.fail(index, error)

    def fail(self, index, error):
        if not self.finished[index]:
            self.errors[index] = error
            self._done(index)

    def _done(self, index):
        self.finished[index] = 1
        self.pending -= 1

    def done(self):
        return self.pending == 0


class MapSlot(Watch):
    """One task of a MapRun, as the sender and the tracker see it (the parts of a future they use)."""

    __slots__ = ("run", "index", "task_id", "next_check", "check_interval")

    def __init__(self, run, index):
        self.run = run
        self.index = index
        self.task_id = None
        self.check_interval = Watch.check_interval

    def on_event(self, event):
        kind = event["type"]
        if kind == "final":
            self.run.resolve(self.index, event)
        elif kind == "output":
            if self.run.on_output is not None:
                self.run.on_output(self, event["output"])
        elif event["state"] == "running":
            self.run.running[self.index] = 1

    def on_record(self, record):
        if record.get("state") in ("success", "failed", "cancelled"):
            self.run.resolve(self.index, final_event(record))

    def on_lost(self, error):
        self.run.fail(self.index, error)

    def done(self):
        return bool(self.run.finished[self.index])

    def finished(self):
        return bool(self.run.finished[self.index])

    def cancelled(self):
        return bool(self.run.cancelled[self.index])

    def running(self):
        return bool(self.run.running[self.index])

    def set_exception(self, error):
        self.run.fail(self.index, error)

    def mark_cancelled(self):
        self.run.cancelled[self.index] = 1
        self.run.fail(self.index, concurrent.futures.CancelledError())
