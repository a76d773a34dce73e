"""Reads a generator task's items (Client.stream) on a thread while a %%funcx cell runs, handing each item once
to the kernel's main thread; as JupyterLab's extension does (client/src/stream-follower.ts)."""

import threading
import time

from .errors import FuncxError

# Waits between reads that failed for a reason that may pass (the hub or the endpoint unreachable).
RETRY_S = (0.25, 0.5, 1.0, 2.0, 5.0)
# Reads that may fail in a row once the task has ended, before the rest of its stream is given up.
RETRIES_AFTER_END = 5
# Refusals that reading again will not change: the task is not the reader's, or is gone.
FATAL_CODES = ("FUNCX_UNAUTHORIZED", "FUNCX_FORBIDDEN", "FUNCX_TASK_NOT_FOUND", "FUNCX_ENDPOINT_NOT_FOUND",
               "FUNCX_ROUTE_NOT_FOUND")


class StreamFollower:
    """Puts {"type": "stream-items" | "stream-problem" | "stream-recovered" | "stream-end"} events on `events`
    (a queue the cell drains), "stream-end" once. restart() starts over at item 0, for a new attempt of the task."""

    def __init__(self, client, task_id, events):
        self.client = client
        self.task_id = task_id
        self.events = events
        self.position = 0
        self.generation = 0
        self.ended = False
        self.stopped = False
        # The stream was read to its end: reading it again finds nothing (its endpoint forgets a stream read to
        # the end) and would never say "stream-end" a second time.
        self.done = False
        self._lock = threading.Lock()
        self._thread = None

    def start(self):
        # Alive first: a thread sets `done` or `stopped` before it ends, so one that has ended has set them.
        if self._thread is not None and self._thread.is_alive():
            return
        if self.stopped or self.done:
            return
        self._thread = threading.Thread(target=self._run, name="funcx-stream", daemon=True)
        self._thread.start()

    def restart(self):
        with self._lock:
            self.generation += 1
            self.position = 0
            self.done = False

    def finish(self):
        """The task has ended: the rest of its stream is read, then "stream-end" comes."""
        self.ended = True
        self.start()

    def stop(self):
        self.stopped = True
        self.generation += 1

    def _run(self):
        failures = 0
        failing = False
        while not self.stopped:
            generation = self.generation
            try:
                for item in self.client.stream(self.task_id, start=self.position):
                    if self.stopped or generation != self.generation:
                        break
                    if failing:
                        failing = False
                        self.events.put({"type": "stream-recovered"})
                    failures = 0
                    self.position += 1
                    self.events.put({"type": "stream-items", "items": [item]})
                else:
                    with self._lock:  # not the end of a new attempt's stream, which restart() began meanwhile
                        if generation == self.generation and not self.stopped:
                            self.done = True
                            self.events.put({"type": "stream-end"})
                            return
            except FuncxError as error:
                if self.stopped or generation != self.generation:
                    continue
                failures += 1
                fatal = error.code in FATAL_CODES or (self.ended and failures > RETRIES_AFTER_END)
                failing = True
                self.events.put({"type": "stream-problem", "error": error, "fatal": fatal})
                if fatal:
                    self.stopped = True
                    return
                time.sleep(RETRY_S[min(failures, len(RETRY_S)) - 1])
