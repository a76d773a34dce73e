"""One %%funcx task written into its cell while it runs: its outputs as they come (or at the end, with
--no-stream), a generator's items as the task yields them, a note while its endpoint is offline, and Ctrl-C
as a cancel."""

import queue
import sys
import time

from .cell_outputs import OutputWriter
from .errors import FuncxError, TaskCancelled
from .stream_display import StreamDisplay, stopped_text
from .stream_follower import StreamFollower

# After Ctrl-C, how long the cell waits for the hub to confirm the cancellation.
CANCEL_WAIT_S = 5.0


class CellDrain:
    def __init__(self, client, task_id, watch, options, view, fresh_view):
        """`view`: the endpoint as the hub showed it (None for a routed task); `fresh_view(view)` reads it again."""
        self.client = client
        self.task_id = task_id
        self.events = watch.events
        self.options = options
        self.view = view
        self.fresh_view = fresh_view
        self.writer = OutputWriter()
        self.held = []
        self.waiting_noted = False
        # The task's generator items, once it says it streams (read on a thread, shown here).
        self.follower = StreamFollower(client, task_id, watch.events)
        self.items = StreamDisplay()
        self.streaming = False
        # "stream-end" came, which may be before the final event (they travel apart): the final one then ends the cell.
        self.stream_ended = False
        self.final = None
        self.problem_noted = False
        self.cancel_deadline = None

    def run(self):
        """Writes the task into the cell until it ends; returns its final event."""
        noted = False
        while True:
            try:
                if not noted:
                    noted = True
                    self._note_waiting()
                final = self._next()
                if final is not None:
                    return final
            except KeyboardInterrupt:
                if self.cancel_deadline is not None:
                    raise
                self.follower.stop()
                self.cancel_deadline = time.monotonic() + CANCEL_WAIT_S
                try:
                    self.client.cancel(self.task_id)
                except FuncxError as error:
                    if error.code != "FUNCX_TASK_FINISHED":
                        raise

    def _next(self):
        """Takes the next event (or a pause without one); returns the final event once the cell is done."""
        timeout = 0.1 if self.cancel_deadline is None else max(0.0, self.cancel_deadline - time.monotonic())
        try:
            event = self.events.get(timeout=timeout)
        except queue.Empty:
            self._idle()
            return None
        kind = event["type"]
        if kind in ("stream-items", "stream-problem", "stream-recovered", "stream-end"):
            return self._stream_event(kind, event)
        if event.get("streams") and kind != "final":
            self.streaming = True
            self.follower.start()
        if kind == "output":
            self._clear_waiting()
            if self.options.stream:
                self.writer.write(event["output"])
            else:
                self.held.append(event["output"])
        elif kind == "state":
            self._state(event["state"])
        elif kind == "lost":
            self.follower.stop()
            self.writer.flush()
            self.items.flush()
            raise event["error"]
        else:
            return self._final(event)
        return None

    def _idle(self):
        if self.items.due():
            self.writer.flush()
            self.items.flush()
        if self.cancel_deadline is not None and time.monotonic() >= self.cancel_deadline:
            self.follower.stop()
            self.writer.flush()
            self.items.flush()
            raise TaskCancelled("Task %s was cancelled." % self.task_id, self.task_id) from None

    def _stream_event(self, kind, event):
        if kind == "stream-items":
            if self.items.count == 0:
                self.writer.flush()
            self.items.add(event["items"])
        elif kind == "stream-problem":
            if event["fatal"]:
                self.items.flush()
                self.writer.write({"output_type": "stream", "name": "stderr",
                                   "text": stopped_text(event["error"], self.items.count)})
                if self.final is not None:
                    return self._end(self.final)
            elif not self.problem_noted:
                self.problem_noted = True
                print("Reading the task's items: %s; trying again." % event["error"].message, file=sys.stderr)
        elif kind == "stream-recovered":
            self.problem_noted = False
        elif self.final is not None:
            return self._end(self.final)
        else:
            self.stream_ended = True
        return None

    def _state(self, state):
        if state == "running":
            self._clear_waiting()
        elif self.streaming:
            # Handed out again: the new attempt's stream starts over, in a display of its own.
            self.streaming = False
            self.items.flush()
            self.items.reset()
            self.stream_ended = False
            self.follower.restart()
        if state == "waiting-for-endpoint" and self.view is not None:
            self.view = self.fresh_view(self.view)
            self._note_waiting()

    def _final(self, event):
        self._clear_waiting()
        if event.get("streams") and event.get("state") != "cancelled" and not self.follower.stopped \
                and not self.stream_ended:
            # The rest of the stream is read before the cell shows the task's value or error.
            self.final = event
            self.follower.finish()
            return None
        self.follower.stop()
        return self._end(event)

    def _end(self, final):
        self.writer.flush()
        self.items.flush()
        for output in self.held:
            self.writer.write(output)
        self.writer.flush()
        return final

    def _note_waiting(self):
        if self.view is None:
            return  # routed: which endpoint runs it is the hub's choice
        if not self.waiting_noted and not self.held and not (self.view.get("status") or {}).get("online"):
            self.waiting_noted = True
            self.writer.write({"output_type": "stream", "name": "stderr",
                               "text": "Waiting for endpoint %s (offline): the task runs as soon as it is back.\n"
                               % self.view["name"]})
            self.writer.flush()

    def _clear_waiting(self):
        if self.waiting_noted:
            self.waiting_noted = False
            self.writer.flush()
            self.writer.clear()
