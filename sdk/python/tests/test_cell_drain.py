"""A generator task's items in a %%funcx cell (funcx.cell_drain, funcx.stream_follower; no hub): its stream's end
and its final event come by different ways, in either order."""

import contextlib
import io
import queue
import threading
import unittest
from types import SimpleNamespace

from funcx.cell_drain import CellDrain
from funcx.errors import FuncxError
from funcx.stream_follower import StreamFollower

TASK = "7c4282d9-6915-4589-85b5-27f9d2f57ff4"
FINAL = {"type": "final", "task_id": TASK, "state": "success", "streams": True,
         "result": {"value": {"stream_items": 2}, "data": {"text/plain": "2 items streamed"}}}


class EndedStream:
    """A client whose task yields `items`; read again past their end, it refuses as an endpoint does once it has
    forgotten a stream that was read to its end."""

    def __init__(self, items):
        self.items = items
        self.reads = []

    def stream(self, task_id, start=0):
        self.reads.append(start)
        if start >= len(self.items):
            raise FuncxError("FUNCX_BAD_REQUEST", "the stream has 0 items so far: ask from 0 or before", 400)
        yield from self.items[start:]

    def cancel(self, task_id):
        raise AssertionError("nothing cancels this task")


class FinalAfterStreamEnd(queue.Queue):
    """The cell's events when the task's final event comes just after its stream was read to the end."""

    def put(self, item, block=True, timeout=None):
        super().put(item, block, timeout)
        if item["type"] == "stream-end":
            super().put(FINAL)


class StreamEndBeforeFinal(unittest.TestCase):
    def test_a_cell_whose_stream_ended_first_ends_on_the_final_event_without_reading_it_again(self):
        client = EndedStream(["first", "second"])
        events = FinalAfterStreamEnd()
        events.put({"type": "state", "task_id": TASK, "state": "running", "streams": True})
        drain = CellDrain(client, TASK, SimpleNamespace(events=events), SimpleNamespace(stream=True), None,
                          lambda view: view)
        outcome = {}
        stdout, stderr = io.StringIO(), io.StringIO()

        def run():
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                outcome["final"] = drain.run()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        thread.join(3.0)
        drain.follower.stop()
        self.assertFalse(thread.is_alive(), "the cell still waits for the end of a stream that has ended")
        self.assertIs(outcome["final"], FINAL)
        self.assertEqual(drain.items.count, 2)
        self.assertEqual(client.reads, [0], "the stream is read once")
        self.assertEqual(stderr.getvalue(), "")

    def test_a_follower_that_read_its_stream_to_the_end_does_not_read_it_again_when_the_task_ends(self):
        client = EndedStream(["first"])
        events = queue.Queue()
        follower = StreamFollower(client, TASK, events)
        follower.start()
        reader = follower._thread
        self.assertEqual([events.get(timeout=3.0)["type"] for _ in range(2)], ["stream-items", "stream-end"])
        reader.join(3.0)
        follower.finish()
        self.assertIs(follower._thread, reader, "no second reader")
        self.assertTrue(events.empty())
        self.assertEqual(client.reads, [0])

    def test_after_a_restart_the_new_attempts_stream_is_read(self):
        client = EndedStream(["first"])
        events = queue.Queue()
        follower = StreamFollower(client, TASK, events)
        follower.start()
        self.assertEqual([events.get(timeout=3.0)["type"] for _ in range(2)], ["stream-items", "stream-end"])
        follower._thread.join(3.0)
        follower.restart()
        follower.start()
        self.assertEqual([events.get(timeout=3.0)["type"] for _ in range(2)], ["stream-items", "stream-end"])
        self.assertEqual(client.reads, [0, 0])


if __name__ == "__main__":
    unittest.main()
