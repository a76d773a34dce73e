"""funcx.Executor: a concurrent.futures.Executor whose work runs on a funcX endpoint.

Submissions queue up and one background thread sends them in batches (one request per batch, whatever has
queued while the previous request was on its way); results and live events come over the client's one event
stream. Each callable becomes one registered function (its source, or a pickle when the source is not enough),
wrapped by funcx.runtime so arguments and values that JSON would not carry exactly travel pickled.
"""

import collections
import concurrent.futures
import json
import sys
import threading
import time
import uuid
import weakref

from . import runtime
from . import source as sources
from .client import Client
from .errors import FuncxError
from .futures import TaskFuture
from .map_run import MapRun, MapSlot
from .shell import ENTRYPOINT as SHELL_ENTRYPOINT
from .shell import ShellFunction, ShellResult, runner_source

# A batch request stays under this many bytes (the hub accepts 10 MiB); one task larger goes alone.
MAX_BATCH_BYTES = 8 * 1024 * 1024
# How long the first submission waits for the event stream, so its events arrive live rather than caught up.
STREAM_WAIT_S = 5.0
# Seconds a shell task may run past its walltime before the endpoint stops it (the runner stops it first).
SHELL_TIMEOUT_MARGIN_S = 15.0
# Calls map() prepares before it hands them to the sender, so the first request leaves while the rest are prepared.
MAP_SLICE = 1000


def _encoder():
    """JSON text of a value (ASCII, no NaN): the C encoder made once, not once per call as json.dumps does."""
    make = getattr(json.encoder, "c_make_encoder", None)
    fallback = json.JSONEncoder(ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode
    if make is None:
        return fallback
    encode = make(None, fallback.__self__.default, json.encoder.encode_basestring_ascii, None, ":", ",", False,
                  False, False)

    def encode_fast(value):
        if isinstance(value, (list, dict)):
            return "".join(encode(value, 0))
        return fallback(value)

    return encode_fast


_encode = _encoder()


class _Function:
    """A function as the hub knows it: registered once (in the background thread) and then named by id."""

    __slots__ = ("register", "function_id", "error", "entry", "convert", "return_pickle", "timeout")

    def __init__(self, register, entry=True, convert=None, return_pickle=False, timeout=None):
        self.register = register
        self.function_id = None
        self.error = None
        self.entry = entry
        self.convert = convert
        self.return_pickle = return_pickle
        self.timeout = timeout


class _Item:
    __slots__ = ("future", "function", "endpoint", "payload")

    def __init__(self, future, function, endpoint, payload):
        self.future = future
        self.function = function
        self.endpoint = endpoint
        self.payload = payload


def _call_payload(args, kwargs, serializer, name):
    """The `"args":…,"kwargs":…` part of a task: JSON when exact, else one pickled argument for the runtime."""
    args = list(args)
    if runtime.is_exact(args) and (not kwargs or (runtime.is_exact(kwargs) and runtime.ARGS_KEY not in kwargs
                                                  and runtime.MAP_KEY not in kwargs)):
        text = '"args":' + _encode(args) if args else ""
        if kwargs:
            text += (',' if text else '') + '"kwargs":' + _encode(kwargs)
        return text
    if serializer == "cloudpickle":
        sources.pickle_local_modules_by_value(list(args) + list((kwargs or {}).values()))
    envelope = runtime.pack([args, kwargs or {}], serializer, "the arguments of %s" % name)
    return '"kwargs":' + _encode({runtime.ARGS_KEY: envelope})


class Executor(concurrent.futures.Executor):
    """Runs Python callables on a funcX endpoint.

    ``Executor(endpoint="local")`` (a name, an id, or owner/name); ``submit(fn, *args, **kwargs)`` returns a
    TaskFuture; ``map(fn, *iterables)`` submits every call in batches. `task_group` names the executor's tasks
    on the hub so that ``reload_tasks()`` finds them again (after a kernel restart, say); `timeout` (seconds)
    stops each task on its endpoint; `stream_output=True` prints what tasks print here as they print it.
    """

    def __init__(self, endpoint=None, *, client=None, hub_url=None, token=None, task_group=None, timeout=None,
                 container_image=None, batch_size=10_000, serializer=None, stream_output=False, allow_pickle=True):
        self._owns_client = client is None
        self.client = client if client is not None else Client(hub_url, token, allow_pickle=allow_pickle)
        self.task_group = task_group or "executor-%s" % uuid.uuid4().hex[:12]
        self.timeout = timeout
        self.container_image = container_image
        self.batch_size = max(1, min(int(batch_size), 50_000))
        if serializer not in (None, "cloudpickle", "dill", "pickle"):
            raise ValueError("serializer is one of cloudpickle, dill or pickle (default: the first installed)")
        if serializer is not None and runtime.serializer(serializer) is None:
            raise ValueError("serializer %r is not installed" % serializer)
        self.serializer = serializer or runtime.preferred_serializer()
        self.stream_output = stream_output
        self._endpoint = None
        if endpoint is not None:
            self.endpoint = endpoint
        self._queue = collections.deque()
        self._wake = threading.Condition()
        self._shutdown = False
        self._sending = False
        self._thread = None
        self._stream_checked = False
        self._futures = []
        self._runs = []
        self._pruned_at = 1024
        self._by_callable = weakref.WeakKeyDictionary()
        self._by_source = {}
        self._global_names = {}

    def __repr__(self):
        return "funcx.Executor(endpoint=%r, task_group=%r)" % (self._endpoint, self.task_group)

    @property
    def endpoint(self):
        return self._endpoint

    @endpoint.setter
    def endpoint(self, ref):
        """Where new submissions go; checked with the hub (FUNCX_ENDPOINT_NOT_FOUND lists what you can use)."""
        self.client.endpoint(ref)
        self._endpoint = ref

    # ---- submitting ----

    def submit(self, fn, /, *args, **kwargs):
        """Runs fn(*args, **kwargs) on the endpoint; returns its TaskFuture at once."""
        return self._enqueue([self._prepare(fn, args, kwargs)])[0]

    def submit_to_registered_function(self, function_id, args=(), kwargs=None):
        """Runs a function registered with the hub (by anyone who shares it with you). Its arguments go as JSON;
        its value comes back as JSON, or pickled when the worker can pickle it."""
        function = self._registered(function_id)
        try:
            payload = '"args":' + _encode(list(args)) if args else ""
            if kwargs:
                payload += (',' if payload else '') + '"kwargs":' + _encode(dict(kwargs))
        except (TypeError, ValueError) as error:
            raise TypeError("a registered function takes JSON arguments (%s): submit the callable itself to send "
                            "other values" % error) from None
        return self._enqueue([self._item(function, payload)])[0]

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
        function = self._function_for(fn)
        run = MapRun(len(calls), self.client.allow_pickle, self._echo if self.stream_output else None)
        with self._wake:
            self._runs = [earlier for earlier in self._runs if not earlier.done()]
            self._runs.append(run)
        payload = self._chunk_payload if chunksize > 1 else self._map_payload
        name = getattr(fn, "__name__", "fn")
        endpoint = self._require_endpoint()
        for start in range(0, len(calls), MAP_SLICE):
            slots = run.slots[start:start + MAP_SLICE]
            self._enqueue([_Item(slot, function, endpoint, payload(call, name))
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

    def _map_payload(self, call, name):
        return _call_payload(call, None, self.serializer, name)

    def _chunk_payload(self, chunk, name):
        calls = [list(call) for call in chunk]
        wire = calls if runtime.is_exact(calls) else {
            runtime.ENVELOPE_KEY: runtime.pack(calls, self.serializer, "the arguments of %s" % name)}
        return '"kwargs":' + _encode({runtime.MAP_KEY: wire})

    def register_function(self, fn):
        """The id of fn as this executor registers it (once per client)."""
        function = self._function_for(fn)
        self._resolve(function)
        if function.error is not None:
            raise function.error
        return function.function_id

    # ---- preparing ----

    def _prepare(self, fn, args, kwargs):
        if isinstance(fn, ShellFunction):
            function = self._shell_function(fn)
            if args:
                raise TypeError("a ShellFunction takes keyword arguments only (the fields of its template)")
            return self._item(function, '"kwargs":' + _encode(fn.task_kwargs(kwargs)))
        if not callable(fn):
            raise TypeError("submit() takes a callable, not %s" % type(fn).__name__)
        function = self._function_for(fn)
        return self._item(function, _call_payload(args, kwargs, self.serializer, getattr(fn, "__name__", "fn")))

    def _require_endpoint(self):
        if self._endpoint is None:
            raise ValueError("this Executor has no endpoint: Executor(endpoint=NAME) or executor.endpoint = NAME")
        return self._endpoint

    def _item(self, function, payload):
        endpoint = self._require_endpoint()
        future = TaskFuture(self, self.client.allow_pickle, function.entry,
                            self._echo if self.stream_output else None, function.convert)
        return _Item(future, function, endpoint, payload)

    def _function_for(self, fn):
        """The _Function of a callable: cached per callable while the globals it uses stay the same objects."""
        fingerprint = self._fingerprint(fn)
        try:
            cached = self._by_callable.get(fn)
        except TypeError:
            cached = None
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
        spec = sources.describe_callable(fn, self.serializer)
        source = sources.entry_source(spec, self.serializer)
        function = self._by_source.get(source)
        if function is None:
            entrypoint = sources.entry_name(spec)
            name = spec["name"] if spec["name"].isidentifier() else "function"

            def register():
                return self.client._registered_id(source, lambda: self.client.register_function(
                    source, name=name, entrypoint=entrypoint, description="sent by funcx.Executor"))

            function = self._by_source[source] = _Function(register, timeout=self.timeout)
        try:
            self._by_callable[fn] = (fingerprint, function)
        except TypeError:
            pass  # not weakly referenceable: prepared again next time
        return function

    def _fingerprint(self, fn):
        code = getattr(fn, "__code__", None)
        if code is None:
            return None
        names = self._global_names.get(code)
        if names is None:
            names = self._global_names[code] = tuple(sorted(sources._global_names(code)))
        namespace = getattr(fn, "__globals__", {})
        cells = tuple(id(cell.cell_contents) for cell in fn.__closure__ or ())
        return (code, cells, tuple(id(namespace.get(name)) for name in names), id(fn.__defaults__))

    def _shell_function(self, shell):
        timeout = self.timeout
        if shell.walltime is not None:
            timeout = max(timeout or 0, shell.walltime + SHELL_TIMEOUT_MARGIN_S)
        key = ("shell", timeout)
        function = self._by_source.get(key)
        if function is None:
            source = runner_source()

            def register():
                return self.client._registered_id(source, lambda: self.client.register_function(
                    source, name="shell", entrypoint=SHELL_ENTRYPOINT, description="funcx.ShellFunction"))

            function = self._by_source[key] = _Function(register, entry=False, convert=ShellResult, timeout=timeout)
        return function

    def _registered(self, function_id):
        key = ("registered", function_id)
        function = self._by_source.get(key)
        if function is None:
            function = self._by_source[key] = _Function(lambda: function_id, entry=False, return_pickle=True,
                                                        timeout=self.timeout)
        return function

    # ---- the background sender ----

    def _enqueue(self, items, track=True):
        futures = [item.future for item in items]
        with self._wake:
            if self._shutdown:
                raise RuntimeError("cannot schedule new futures after shutdown")
            self._queue.extend(items)
            if track:
                self._futures.extend(futures)
            if len(self._futures) > self._pruned_at:
                self._futures = [future for future in self._futures if not future.done()]
                self._pruned_at = max(1024, 2 * len(self._futures))
            if self._thread is None:
                self._thread = threading.Thread(target=self._send_loop, name="funcx-submit", daemon=True)
                self._thread.start()
            self._wake.notify()
        return futures

    def _send_loop(self):
        while True:
            with self._wake:
                while not self._queue and not self._shutdown:
                    self._wake.wait()
                if not self._queue:
                    return
                batch = self._take()
                self._sending = True
            try:
                self._send(batch)
            except BaseException as error:  # noqa: B902 - the batch's futures carry what went wrong
                for item in batch:
                    if not item.future.done():
                        item.future.set_exception(error)
            finally:
                with self._wake:
                    self._sending = False
                    self._wake.notify_all()

    def _take(self):
        queue = self._queue
        batch = []
        size = 0
        while queue and len(batch) < self.batch_size:
            item = queue[0]
            if item.future.cancelled():
                queue.popleft()
                continue
            cost = len(item.payload) + 160
            if batch and size + cost > MAX_BATCH_BYTES:
                break
            batch.append(queue.popleft())
            size += cost
        return batch

    def _resolve(self, function):
        if function.function_id is None and function.error is None:
            try:
                function.function_id = function.register()
            except FuncxError as error:
                function.error = error

    def _send(self, batch):
        tracker = self.client.tracker
        if not self._stream_checked:
            self._stream_checked = True
            tracker.wait_connected(STREAM_WAIT_S)
        parts = []
        sent = []
        prefixes = {}
        for item in batch:
            function = item.function
            self._resolve(function)
            if function.error is not None:
                item.future.set_exception(function.error)
                continue
            key = (function, item.endpoint)
            prefix = prefixes.get(key)
            if prefix is None:
                prefix = prefixes[key] = self._prefix(function, item.endpoint)
            parts.append(prefix + "," + item.payload + "}" if item.payload else prefix + "}")
            sent.append(item)
        if not sent:
            return
        body = ('{"tasks":[' + ",".join(parts) + "]}").encode("ascii")
        epoch = tracker.begin_submit()
        try:
            task_ids = self.client.request("POST", "/v1/tasks/batch", body)["task_ids"]
            pairs = []
            for item, task_id in zip(sent, task_ids):
                item.future.task_id = task_id
                pairs.append((task_id, item.future))
            tracker.attach(pairs, epoch)
        finally:
            tracker.end_submit()
        late = [item.future for item in sent if item.future.cancelled()]
        if late:  # cancelled while their request was on its way: cancel the tasks themselves
            self._cancel_many(late, remote_only=True)

    def _prefix(self, function, endpoint):
        prefix = '{"function_id":%s,"endpoint":%s,"task_group":%s' % (
            _encode(function.function_id), _encode(endpoint), _encode(self.task_group))
        if function.timeout is not None:
            prefix += ',"timeout_s":%s' % _encode(function.timeout)
        if function.return_pickle:
            prefix += ',"return_pickle":true'
        if self.container_image is not None:
            prefix += ',"container_image":%s' % _encode(self.container_image)
        return prefix

    # ---- cancelling ----

    def _cancel_task(self, future):
        """Cancels the task behind a future; False once it has finished."""
        if future.task_id is None:
            with self._wake:
                if future.task_id is None:
                    return True  # still queued, or on its way: the sender cancels it once it has an id
        try:
            self.client.cancel(future.task_id)
        except FuncxError as error:
            if error.code == "FUNCX_TASK_FINISHED":
                return False
            raise
        self.client.tracker.unwatch(future.task_id)
        return True

    def _cancel_many(self, futures, remote_only=False):
        if not futures:
            return
        if remote_only:
            def cancel(future):
                try:
                    self.client.cancel(future.task_id)
                except FuncxError:
                    pass
                self.client.tracker.unwatch(future.task_id)
        else:
            def cancel(future):
                if isinstance(future, MapSlot):
                    if future.task_id is not None:
                        try:
                            self.client.cancel(future.task_id)
                        except FuncxError:
                            pass
                        self.client.tracker.unwatch(future.task_id)
                    future.mark_cancelled()
                    return
                try:
                    future.cancel()
                except FuncxError:
                    pass
        queued = [future for future in futures if future.task_id is None]
        for future in queued:
            cancel(future)
        submitted = [future for future in futures if future.task_id is not None]
        if len(submitted) <= 4:
            for future in submitted:
                cancel(future)
            return
        with concurrent.futures.ThreadPoolExecutor(8, thread_name_prefix="funcx-cancel") as pool:
            list(pool.map(cancel, submitted))

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
        with self._wake:
            self._futures.extend(futures)
        tracker.attach(pairs, None)
        return futures

    def shutdown(self, wait=True, *, cancel_futures=False):
        with self._wake:
            self._shutdown = True
            queued = [item.future for item in self._queue]
            self._wake.notify_all()
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
        thread = self._thread
        if thread is not None:
            thread.join()
        with self._wake:
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

