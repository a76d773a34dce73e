"""An Executor's submissions, sent in batches by one background thread: whatever queued while the previous
request was on its way goes in the next POST /v1/tasks/batch, up to a count and a size."""

import collections
import threading
import time
import uuid

from .errors import HUB_UNREACHABLE, FuncxError
from .wire import encode

# A batch request stays under this many bytes (the hub accepts 10 MiB); one task larger goes alone.
MAX_BATCH_BYTES = 8 * 1024 * 1024
# How long the first submission waits for the event stream, so its events arrive live rather than caught up.
STREAM_WAIT_S = 5.0
# A batch whose answer did not come (the hub unreachable, restarting, or failing) is sent again, with the same
# task ids, for this long: the hub answers ids it already has with their tasks, so nothing runs twice.
SEND_RETRY_S = 30.0
SEND_RETRY_CODES = (HUB_UNREACHABLE, "FUNCX_REQUEST_TIMEOUT", "FUNCX_INTERNAL")


class Submission:
    """One task on its way: the future (or map slot) it resolves, its function, endpoint and arguments."""

    __slots__ = ("future", "function", "endpoint", "payload")

    def __init__(self, future, function, endpoint, payload):
        self.future = future
        self.function = function
        self.endpoint = endpoint
        self.payload = payload


class BatchSender:
    """`options` gives task_group, policy, session and container_image at send time; `cancel_late` cancels the tasks of futures
    cancelled while their request was on its way."""

    def __init__(self, client, options, batch_size, cancel_late):
        self.client = client
        self.options = options
        self.batch_size = batch_size
        self.cancel_late = cancel_late
        self.lock = threading.Condition()
        self._queue = collections.deque()
        self._closed = False
        self._thread = None
        self._stream_checked = False

    def put(self, submissions):
        with self.lock:
            if self._closed:
                raise RuntimeError("cannot schedule new futures after shutdown")
            self._queue.extend(submissions)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="funcx-submit", daemon=True)
                self._thread.start()
            self.lock.notify()

    def queued(self):
        with self.lock:
            return [submission.future for submission in self._queue]

    def close(self):
        """No new submissions; the thread sends what is queued, then ends."""
        with self.lock:
            self._closed = True
            self.lock.notify_all()

    def join(self):
        thread = self._thread
        if thread is not None:
            thread.join()

    def _run(self):
        while True:
            with self.lock:
                while not self._queue and not self._closed:
                    self.lock.wait()
                if not self._queue:
                    return
                batch = self._take()
            try:
                self._send(batch)
            except BaseException as error:  # noqa: B902 - the batch's futures carry what went wrong
                for submission in batch:
                    if not submission.future.done():
                        submission.future.set_exception(error)

    def _take(self):
        queue = self._queue
        batch = []
        size = 0
        while queue and len(batch) < self.batch_size:
            submission = queue[0]
            if submission.future.cancelled():
                queue.popleft()
                continue
            cost = len(submission.payload) + 160
            if batch and size + cost > MAX_BATCH_BYTES:
                break
            batch.append(queue.popleft())
            size += cost
        return batch

    def _send(self, batch):
        tracker = self.client.tracker
        if not self._stream_checked:
            self._stream_checked = True
            tracker.wait_connected(STREAM_WAIT_S)
        parts = []
        sent = []
        prefixes = {}
        for submission in batch:
            function = submission.function
            function.resolve()
            if function.error is not None:
                submission.future.set_exception(function.error)
                continue
            key = (function, submission.endpoint)
            prefix = prefixes.get(key)
            if prefix is None:
                prefix = prefixes[key] = self._prefix(function, submission.endpoint)
            head = prefix + ',"task_id":"%s"' % uuid.uuid4()
            parts.append(head + "," + submission.payload + "}" if submission.payload else head + "}")
            sent.append(submission)
        if not sent:
            return
        body = ('{"tasks":[' + ",".join(parts) + "]}").encode("ascii")
        epoch = tracker.begin_submit()
        try:
            task_ids, retried = self._post(body)
            pairs = []
            for submission, task_id in zip(sent, task_ids):
                submission.future.task_id = task_id
                pairs.append((task_id, submission.future))
            # Events sent while the answer was lost are not on the stream: a retried batch catches up from records.
            tracker.attach(pairs, None if retried else epoch)
        finally:
            tracker.end_submit()
        late = [submission.future for submission in sent if submission.future.cancelled()]
        if late:
            self.cancel_late(late)

    def _post(self, body):
        """POSTs the batch, sending it again while the hub cannot answer; returns its task ids and whether it was
        sent more than once."""
        deadline = time.monotonic() + SEND_RETRY_S
        delay = 0.25
        retried = False
        while True:
            try:
                return self.client.request("POST", "/v1/tasks/batch", body)["task_ids"], retried
            except FuncxError as error:
                if error.code not in SEND_RETRY_CODES or time.monotonic() + delay > deadline:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
            retried = True

    def _prefix(self, function, endpoint):
        """The task's JSON up to its arguments: the same for every task of a function and endpoint."""
        target = list(endpoint) if isinstance(endpoint, tuple) else endpoint
        prefix = '{"function_id":%s,"endpoint":%s,"task_group":%s' % (
            encode(function.function_id), encode(target), encode(self.options.task_group))
        if self.options.policy is not None:
            prefix += ',"policy":%s' % encode(self.options.policy)
        if self.options.session is not None:
            prefix += ',"session":%s' % encode(self.options.session)
        if function.timeout is not None:
            prefix += ',"timeout_s":%s' % encode(function.timeout)
        if function.return_pickle:
            prefix += ',"return_pickle":true'
        if self.options.container_image is not None:
            prefix += ',"container_image":%s' % encode(self.options.container_image)
        return prefix
