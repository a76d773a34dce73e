"""funcx.Executor: a concurrent.futures.Executor whose work runs on a funcX endpoint.

Submissions queue up and one background thread sends them in batches (funcx.sender); results and live events come
over the client's one event stream (funcx.tracker). Each callable becomes one registered function (its source, or
a pickle when the source is not enough; funcx.functions), wrapped by funcx.runtime so that arguments and values
JSON would not carry exactly travel pickled.
"""

import concurrent.futures
import sys
import threading
import time
import uuid

from . import runtime
from .client import Client, check_session
from .errors import FuncxError
from .functions import FunctionCache
from .futures import TaskFuture
from .map_run import MapRun, MapSlot
from .sender import STREAM_WAIT_S, BatchSender, Submission
from .shell import ShellFunction
from .wire import call_payload, chunk_payload, encode, json_payload

# Calls map() prepares before it hands them to the sender, so the first request leaves while the rest are prepared.
MAP_SLICE = 1000
# Cancellations sent at once when many tasks are cancelled (the hub cancels one task per request).
CANCEL_CONCURRENCY = 8


class Executor(concurrent.futures.Executor):
    """Runs Python callables on a funcX endpoint.

    ``Executor(endpoint="local")`` (a name, an id, owner/name, group:NAME, or a list of endpoints for the hub to
    route among with `policy`); ``submit(fn, *args, **kwargs)`` returns a
    TaskFuture; ``map(fn, *iterables)`` submits every call in batches. `task_group` names the executor's tasks
    on the hub so that ``reload_tasks()`` finds them again (after a kernel restart, say); `timeout` (seconds)
    stops each task on its endpoint; `stream_output=True` prints what tasks print here as they print it.
    `session="NAME"` runs every task in that session of yours: one after another on one worker kept for it, each
    seeing the globals earlier ones left (functions sent as source run with the session's namespace as globals).
    """

    def __init__(self, endpoint=None, *, client=None, hub_url=None, token=None, task_group=None, timeout=None,
                 container_image=None, batch_size=10_000, serializer=None, stream_output=False, allow_pickle=True,
                 policy=None, session=None):
        self.session = None if session is None else check_session(session)
        self._owns_client = client is None
        self.client = client if client is not None else Client(hub_url, token, allow_pickle=allow_pickle)
        self.task_group = task_group or "executor-%s" % uuid.uuid4().hex[:12]
        self.timeout = timeout
        self.container_image = container_image
        self.policy = policy
        if serializer not in (None, "cloudpickle", "dill", "pickle"):
            raise ValueError("serializer is one of cloudpickle, dill or pickle (default: the first installed)")
        if serializer is not None and runtime.serializer(serializer) is None:
            raise ValueError("serializer %r is not installed" % serializer)
        self.serializer = serializer or runtime.preferred_serializer()
        self.stream_output = stream_output
        self._endpoint = None
        if endpoint is not None:
            self.endpoint = endpoint
        self._functions = FunctionCache(self.client, self.serializer, timeout)
        self._sender = BatchSender(self.client, self, max(1, min(int(batch_size), 50_000)), self._cancel_late)
        self._lock = threading.Lock()
        self._futures = []
        self._runs = []
        self._pruned_at = 1024

    def __repr__(self):
        return "funcx.Executor(endpoint=%r, task_group=%r)" % (self._endpoint, self.task_group)

    @property
    def endpoint(self):
        return self._endpoint

    @endpoint.setter
    def endpoint(self, target):
        """Where new submissions go: an endpoint, an endpoint group (group:NAME) or a list of endpoints the hub
        routes among (with `policy`); checked with the hub (FUNCX_ENDPOINT_NOT_FOUND lists what you can use)."""
        self.client.check_target(target)
        self._endpoint = tuple(target) if isinstance(target, (list, tuple)) else target

    # ---- submitting ----

    def submit(self, fn, /, *args, **kwargs):
        """Runs fn(*args, **kwargs) on the endpoint; returns its TaskFuture at once."""
        if isinstance(fn, ShellFunction):
            if args:
                raise TypeError("a ShellFunction takes keyword arguments only (the fields of its template)")
            submission = self._submission(self._functions.for_shell(fn), '"kwargs":' + encode(fn.task_kwargs(kwargs)))
        elif callable(fn):
            function = self._functions.for_callable(fn)
            submission = self._submission(function, call_payload(args, kwargs, self.serializer, _name(fn)))
        else:
            raise TypeError("submit() takes a callable, not %s" % type(fn).__name__)
        return self._put([submission])[0]

    def submit_to_registered_function(self, function_id, args=(), kwargs=None):
        """Runs a function registered with the hub (by anyone who shares it with you). Its arguments go as JSON;
        its value comes back as JSON, or pickled when the worker can pickle it."""
        function = self._functions.registered(function_id)
        return self._put([self._submission(function, json_payload(args, kwargs))])[0]

    def map(self, fn, *iterables, timeout=None, chunksize=1):
        """Like concurrent.futures.Executor.map: every call submitted at once (in batches), results in order,
        the first remote exception raised where its result would be. `chunksize` > 1 runs that many calls per
        task. Leaving the iteration early cancels the tasks that have not finished."""
        if isinstance(fn, ShellFunction):
            raise TypeError("map() of a ShellFunction: submit it once per call with keyword arguments")
        end_time = None if timeout is None else timeout + time.monotonic()
        calls = list(zip(*iterables))
        chunksize = max(1, int(chunksize))
        if chunksize > 1:
            calls = [calls[i:i + chunksize] for i in range(0, len(calls), chunksize)]
            payload = chunk_payload
        else:
            payload = call_payload_of
        function = self._functions.for_callable(fn)
        run = MapRun(len(calls), self.client.allow_pickle, self._echo if self.stream_output else None)
        with self._lock:
            self._runs = [earlier for earlier in self._runs if not earlier.done()]
            self._runs.append(run)
        name = _name(fn)
        endpoint = self._require_endpoint()
        for start in range(0, len(calls), MAP_SLICE):
            slots = run.slots[start:start + MAP_SLICE]
            self._put([Submission(slot, function, endpoint, payload(call, self.serializer, name))
                       for slot, call in zip(slots, calls[start:start + MAP_SLICE])], track=False)
        return self._map_results(run, chunksize > 1, end_time)

    def _map_results(self, run, chunked, end_time):
        tracker = self.client.tracker
        try:
            for index, slot in enumerate(run.slots):
                if not tracker.wait_done(slot, end_time):
                    raise concurrent.futures.TimeoutError()
                error = run.errors.get(index)
                if error is not None:
                    raise error
                value, run.values[index] = run.values[index], None
                if chunked:
                    yield from value
                else:
                    yield value
        finally:
            self._cancel_many([slot for slot in run.slots if not slot.done()])

    def register_function(self, fn):
        """The id of fn as this executor registers it (once per client)."""
        function = self._functions.for_callable(fn)
        function.resolve()
        if function.error is not None:
            raise function.error
        return function.function_id

    def _require_endpoint(self):
        if self._endpoint is None:
            raise ValueError("this Executor has no endpoint: Executor(endpoint=NAME) or executor.endpoint = NAME")
        return self._endpoint

    def _submission(self, function, payload):
        endpoint = self._require_endpoint()
        future = TaskFuture(self, self.client.allow_pickle, function.entry,
                            self._echo if self.stream_output else None, function.convert)
        return Submission(future, function, endpoint, payload)

    def _put(self, submissions, track=True):
        futures = [submission.future for submission in submissions]
        if track:
            with self._lock:
                self._futures.extend(futures)
                if len(self._futures) > self._pruned_at:
                    self._futures = [future for future in self._futures if not future.done()]
                    self._pruned_at = max(1024, 2 * len(self._futures))
        self._sender.put(submissions)
        return futures

    # ---- cancelling ----

    def _cancel_task(self, future):
        """Cancels the task behind a future; False once it has finished."""
        if future.task_id is None:
            # Queued, or its request on its way: marked first, so that the sender, which checks after it has the
            # task's id, cancels the task; and if the id came meanwhile, cancelled here.
            future._mark_cancelled()
            if future.task_id is not None:
                self._cancel_late([future])
            return True
        try:
            self.client.cancel(future.task_id)
        except FuncxError as error:
            if error.code == "FUNCX_TASK_FINISHED":
                return False
            raise
        self.client.tracker.unwatch(future.task_id)
        return True

    def _cancel_late(self, futures):
        """Cancels the tasks of futures that were cancelled before they had a task id."""
        self._each(futures, self._cancel_remote)

    def _cancel_remote(self, future):
        try:
            self.client.cancel(future.task_id)
        except FuncxError:
            pass  # finished meanwhile, or the hub is away: the future is cancelled either way
        self.client.tracker.unwatch(future.task_id)

    def _cancel_many(self, futures):
        def cancel(future):
            if isinstance(future, MapSlot):
                future.mark_cancelled()
                if future.task_id is not None:
                    self._cancel_remote(future)
                return
            try:
                future.cancel()
            except FuncxError:
                pass

        self._each(futures, cancel)

    @staticmethod
    def _each(futures, action):
        submitted = [future for future in futures if future.task_id is not None]
        for future in futures:
            if future.task_id is None:
                action(future)
        if len(submitted) <= 4:
            for future in submitted:
                action(future)
            return
        with concurrent.futures.ThreadPoolExecutor(CANCEL_CONCURRENCY, thread_name_prefix="funcx-cancel") as pool:
            list(pool.map(action, submitted))

    # ---- lifecycle ----

    def reload_tasks(self, task_group=None):
        """Futures for every task of this executor's task group (or `task_group`), oldest first (the tasks of
        one batch in no set order; each future has its `task_id`): finished ones resolve from their records,
        unfinished ones follow live. Use it after a kernel restart with the same task_group."""
        group = task_group or self.task_group
        summaries = list(self.client.tasks(task_group=group))
        summaries.reverse()
        summaries.sort(key=lambda summary: (summary.get("timestamps") or {}).get("received", 0))
        tracker = self.client.tracker
        tracker.wait_connected(STREAM_WAIT_S)
        futures = []
        pairs = []
        for summary in summaries:
            future = TaskFuture(self, self.client.allow_pickle, True, self._echo if self.stream_output else None)
            future.task_id = summary["task_id"]
            future.state = summary["state"]
            futures.append(future)
            pairs.append((summary["task_id"], future))
        with self._lock:
            self._futures.extend(futures)
        tracker.attach(pairs, None)
        return futures

    def shutdown(self, wait=True, *, cancel_futures=False):
        queued = self._sender.queued()
        self._sender.close()
        with self._lock:
            futures = list(self._futures)
            slots = [slot for run in self._runs for slot in run.slots if not slot.done()]
        if cancel_futures:
            self._cancel_many([f for f in queued if f.task_id is None])
            self._cancel_many([f for f in futures + slots if f.task_id is not None and not f.done() and not f.running()])
        if wait:
            self._finish()
        else:
            threading.Thread(target=self._finish, name="funcx-shutdown", daemon=True).start()

    def _finish(self):
        self._sender.join()
        with self._lock:
            futures = list(self._futures)
            runs = list(self._runs)
        concurrent.futures.wait(futures)
        for run in runs:
            self.client.tracker.wait_until(run.done)
        if self._owns_client:
            self.client.close()

    @staticmethod
    def _echo(future, output):
        if output.get("output_type") == "stream":
            stream = sys.stderr if output.get("name") == "stderr" else sys.stdout
            stream.write(output.get("text", ""))
            stream.flush()


def call_payload_of(call, serializer, name):
    return call_payload(call, None, serializer, name)


def _name(fn):
    return getattr(fn, "__name__", None) or type(fn).__name__
