"""funcx.Client: the hub's REST API from Python, and one event stream for the tasks it follows."""

import base64
import http.client
import json
import os
import re
import threading

from . import source as sources
from . import store
from .credentials import load_credentials
from .errors import FuncxError, TaskPending
from .events import MAX_URL_TASK_IDS, iter_events
from .tracker import FINAL_STATES, TaskTracker
from .transport import Transport
from .values import outcome

# How a submission names an endpoint group (protocol/src/routing.ts).
GROUP_PREFIX = "group:"
# Most tasks in one batch request (the hub's MAX_BATCH_TASKS).
MAX_BATCH_TASKS = 50_000
_DEF = re.compile(r"^(?:async\s+)?def\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(", re.M)


def single_top_level_function(source):
    """The name of the only top-level function the source defines, if it defines exactly one."""
    names = _DEF.findall(source)
    return names[0] if len(names) == 1 else None


class Client:
    """The hub's REST API: functions, endpoints, tasks. Errors are FuncxError (`code`, `status`, `message`);
    a 429 is retried after the time the hub gives, up to `rate_limit_retries` times.

    `hub_url` and `token` default to FUNCX_HUB_URL and FUNCX_TOKEN, then `$FUNCX_HOME/credentials.json`.
    `allow_pickle=False` refuses to load pickled values (a pickle runs code of whoever controls the endpoint).
    """

    def __init__(self, hub_url=None, token=None, *, timeout=60.0, rate_limit_retries=4, allow_pickle=True):
        hub_url, token = load_credentials(hub_url, token)
        self.transport = Transport(hub_url, token, timeout=timeout, rate_limit_retries=rate_limit_retries)
        self.allow_pickle = allow_pickle
        self._tracker = None
        self._tracker_lock = threading.Lock()
        self._registered = {}

    @property
    def hub_url(self):
        return self.transport.hub_url

    def __repr__(self):
        return "funcx.Client(%r)" % self.hub_url

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Closes the event stream and the connections of this thread."""
        with self._tracker_lock:
            tracker, self._tracker = self._tracker, None
        if tracker is not None:
            tracker.close()
        self.transport.close()

    @property
    def tracker(self):
        """The TaskTracker of this client (one event stream for every task it follows)."""
        with self._tracker_lock:
            if self._tracker is None:
                self._tracker = TaskTracker(self)
            return self._tracker

    def request(self, method, path, body=None, query=None):
        return self.transport.request(method, path, body, query)

    # ---- who, where ----

    def me(self):
        """The name of the user this token belongs to."""
        return self.request("GET", "/v1/me")["user"]

    def endpoints(self):
        """The endpoints you can use, each with its `status` (online, workers, queue)."""
        return self.request("GET", "/v1/endpoints")

    def endpoint(self, ref):
        """One endpoint by id, by the name of one of yours, or as owner/name."""
        return self.request("GET", "/v1/endpoints/" + _quote_ref(ref))

    def endpoint_groups(self):
        """The endpoint groups you can use, each with its `ref` (group:NAME) and members."""
        return self.request("GET", "/v1/endpoint-groups")

    def endpoint_group(self, ref):
        """One endpoint group: group:NAME (or NAME), group:OWNER/NAME, or its id."""
        name = ref[len(GROUP_PREFIX):] if ref.startswith(GROUP_PREFIX) else ref
        return self.request("GET", "/v1/endpoint-groups/" + _quote_ref(name))

    def check_target(self, target):
        """Raises FUNCX_ENDPOINT_NOT_FOUND (or the group's error) unless you can use this endpoint, endpoint group
        or each of these endpoints; returns the endpoint's view for a single endpoint."""
        if isinstance(target, (list, tuple)):
            for ref in target:
                self.endpoint(ref)
            return None
        if target.startswith(GROUP_PREFIX):
            self.endpoint_group(target)
            return None
        return self.endpoint(target)

    # ---- functions ----

    def functions(self):
        return self.request("GET", "/v1/functions")

    def get_function(self, function_id):
        return self.request("GET", "/v1/functions/" + _quote_ref(function_id))

    def delete_function(self, function_id):
        self.request("DELETE", "/v1/functions/" + _quote_ref(function_id))

    def register_function(self, func_or_source, name=None, public=False, *, entrypoint=None, description=None,
                          container_image=None, pure=False, isolation=None):
        """Registers a Python callable (sent as its source, or pickled when the source is not enough) or a source
        string; returns the function id. A source string that defines exactly one top-level function is called
        with the task's arguments; otherwise it runs like a notebook cell (its last expression is the value)."""
        if callable(func_or_source):
            spec = sources.describe_callable(func_or_source)
            source = sources.entry_source(spec)
            entrypoint = sources.entry_name(spec)
            name = name or (spec["name"] if spec["name"].isidentifier() else "function")
        elif isinstance(func_or_source, str):
            source = func_or_source
            entrypoint = entrypoint or single_top_level_function(source)
            name = name or entrypoint or "cell"
        else:
            raise TypeError("register_function takes a callable or Python source, not %s" % type(func_or_source).__name__)
        body = {"name": name, "source": source, "public": bool(public)}
        if entrypoint:
            body["entrypoint"] = entrypoint
        if description is not None:
            body["description"] = description
        if container_image is not None:
            body["container_image"] = container_image
        if pure:
            body["pure"] = True
        if isolation is not None:
            body["isolation"] = isolation
        return self.request("POST", "/v1/functions", body)["function_id"]

    def register_wasm(self, module, name=None, public=False, *, entrypoint=None, description=None):
        """Registers a WebAssembly module (WASI) as a function: its bytes, or the path of a .wasm file; returns the
        function id. With entrypoint, each task calls that exported function with its (numeric) arguments;
        without, the module runs as a WASI command: its arguments as JSON on stdin, its last line on stdout the
        value (docs/wasm.md)."""
        if isinstance(module, (bytes, bytearray, memoryview)):
            data = bytes(module)
            name = name or entrypoint or "module"
        else:
            path = os.fspath(module)
            with open(path, "rb") as file:
                data = file.read()
            name = name or entrypoint or os.path.splitext(os.path.basename(path))[0]
        body = {"name": name, "source": base64.b64encode(data).decode("ascii"), "language": "wasm", "public": bool(public)}
        if entrypoint:
            body["entrypoint"] = entrypoint
        if description is not None:
            body["description"] = description
        return self.request("POST", "/v1/functions", body)["function_id"]

    def _registered_id(self, key, register):
        """A function registered once per client for `key` (the generated source it sends)."""
        function_id = self._registered.get(key)
        if function_id is None:
            function_id = self._registered[key] = register()
        return function_id

    # ---- tasks ----

    def run(self, function_id=None, *, endpoint, args=(), kwargs=None, source=None, entrypoint=None, timeout=None,
            return_pickle=False, task_group=None, container_image=None, policy=None, cache=None, session=None):
        """Submits one task (a registered function, or inline `source`) and returns its id at once. `endpoint` is
        an endpoint, an endpoint group (group:NAME) or a list of endpoints the hub routes among (with `policy`).
        `session`: run in that session of yours, on one worker kept for it, where what earlier tasks of the session
        defined is still there."""
        task = submission(function_id, endpoint, args, kwargs, source=source, entrypoint=entrypoint, timeout=timeout,
                          return_pickle=return_pickle, task_group=task_group, container_image=container_image,
                          policy=policy, cache=cache, session=session)
        return self.request("POST", "/v1/tasks", task)["task_id"]

    def stream(self, task_id, wait=10.0, start=0):
        """Yields what a generator task yields, as it yields it (values that are not JSON, or are large, as
        DataReferences), from item `start` on; ends when the generator has. The generator is held back at its
        endpoint while this reader is behind, so nothing piles up in between."""
        position = start
        while True:
            page = self.request("GET", "/v1/tasks/%s/items" % _quote_ref(task_id),
                                query={"from": position, "wait_ms": int(wait * 1000)})
            # The endpoint answers from the first item it still holds: those before `position` came already.
            for item in page["items"][max(0, position - page["from"]):]:
                yield store.wrap(item, self)
            position = max(position, page["next"])
            if page["done"]:
                return

    def send(self, task_id, *items, done=False):
        """Sends JSON items to a task's input stream (funcx.store.inputs() in the task), in order; `done=True`
        says there are no more. Waits while the task is behind (its stream holds 64 unread items)."""
        items = list(items)
        while True:
            reply = self.request("POST", "/v1/tasks/%s/inputs" % _quote_ref(task_id),
                                 {"items": items, "done": bool(done)} if items or done else {"items": []})
            items = items[reply["accepted"]:]
            if not items:
                return

    def run_batch(self, tasks):
        """Submits TaskSubmission dicts, all or nothing (up to 50,000); returns their ids in order."""
        tasks = list(tasks)
        if len(tasks) > MAX_BATCH_TASKS:
            raise FuncxError("FUNCX_BAD_REQUEST", "%d tasks in one batch: at most %d" % (len(tasks), MAX_BATCH_TASKS))
        if not tasks:
            return []
        return self.request("POST", "/v1/tasks/batch", {"tasks": tasks})["task_ids"]

    def get_task(self, task_id):
        """The task's record: state, timestamps per state, outputs, result or error."""
        return self.request("GET", "/v1/tasks/" + _quote_ref(task_id))

    def get_result(self, task_id):
        """The value of a finished task; raises its exception if it failed, TaskCancelled if it was cancelled,
        TaskPending if it has not finished."""
        record = self.get_task(task_id)
        if record["state"] not in FINAL_STATES:
            raise TaskPending(task_id, record["state"])
        value, error = outcome(task_id, record, self.allow_pickle)
        if error is not None:
            raise error
        return value

    def get_batch_result(self, task_ids):
        """{task_id: {"pending", "status", and "result" or "exception"}} for many tasks, a few hundred per request."""
        task_ids = list(dict.fromkeys(task_ids))
        found = {}
        for start in range(0, len(task_ids), MAX_URL_TASK_IDS):
            records, missing = self._records(task_ids[start:start + MAX_URL_TASK_IDS])
            if missing:
                raise FuncxError("FUNCX_TASK_NOT_FOUND", "No task with id %s" % missing[0], 404)
            for record in records:
                found[record["task_id"]] = record
        answers = {}
        for task_id in task_ids:
            record = found[task_id]
            state = record["state"]
            answer = {"pending": state not in FINAL_STATES, "status": state}
            if state in FINAL_STATES:
                value, error = outcome(task_id, record, self.allow_pickle)
                if error is None:
                    answer["result"] = value
                else:
                    answer["exception"] = error
            answers[task_id] = answer
        return answers

    def tasks(self, *, state=None, endpoint=None, function=None, task_group=None, page_size=500):
        """Your tasks, newest first (without arguments, outputs or results), every page."""
        cursor = None
        while True:
            page = self.request("GET", "/v1/tasks", query={
                "state": state, "endpoint": endpoint, "function": function, "task_group": task_group,
                "limit": page_size, "cursor": cursor})
            for task in page["tasks"]:
                yield task
            cursor = page.get("next_cursor")
            if not cursor:
                return

    def cancel(self, task_id):
        """Cancels a task (a queued one never runs, a running one is stopped); returns its state. A finished
        task: FuncxError FUNCX_TASK_FINISHED (409)."""
        return self.request("POST", "/v1/tasks/%s/cancel" % _quote_ref(task_id))["state"]

    def sessions(self, endpoint=None):
        """Your sessions on every endpoint you may use (or on `endpoint`), as the endpoints last reported them."""
        query = "" if endpoint is None else "?endpoint=" + _quote_ref(endpoint)
        return self.request("GET", "/v1/sessions" + query)["sessions"]

    def end_session(self, name, endpoint=None):
        """Ends your session `name` (its worker stops, its variables are gone, its waiting tasks fail); `endpoint`
        when it lives on several. Returns the session as it was. Unknown: FuncxError FUNCX_SESSION_NOT_FOUND."""
        check_session(name)
        query = "" if endpoint is None else "?endpoint=" + _quote_ref(endpoint)
        return self.request("DELETE", "/v1/sessions/" + _quote_ref(name) + query)["ended"]

    def _records(self, task_ids):
        """(records, missing ids) of up to MAX_URL_TASK_IDS tasks in one request: the snapshot that opens an
        event stream (the hub has no batch read of tasks). Tasks that are not yours raise FUNCX_FORBIDDEN."""
        if not task_ids:
            return [], []
        try:
            connection, reply = self.transport.open_stream("/v1/events", {"tasks": ",".join(task_ids)},
                                                           self.transport.timeout)
        except FuncxError as error:
            if error.code != "FUNCX_TASK_NOT_FOUND":
                raise
            return self._records_one_by_one(task_ids)
        try:
            for event, payload in iter_events(reply):
                if event == "snapshot":
                    return payload, []
        except (OSError, ValueError, http.client.HTTPException) as error:
            raise self.transport.unreachable(error) from None
        finally:
            connection.close()
        raise self.transport.unreachable(ConnectionError("the event stream ended before its snapshot"))

    def _records_one_by_one(self, task_ids):
        records, missing = [], []
        for task_id in task_ids:
            try:
                records.append(self.get_task(task_id))
            except FuncxError as error:
                if error.code != "FUNCX_TASK_NOT_FOUND":
                    raise
                missing.append(task_id)
        return records, missing

    def wait(self, task_id, timeout=None):
        """Waits for a task over the event stream and returns its value (or raises its exception)."""
        from .futures import TaskFuture

        future = TaskFuture(allow_pickle=self.allow_pickle)
        future.task_id = task_id
        # Connected first: what happens after attach() arrives live, what happened before comes from the record.
        self.tracker.wait_connected(5.0)
        self.tracker.attach([(task_id, future)])
        return future.result(timeout)


# protocol/src/names.ts, NAME_RULES.session.
_SESSION_NAME = re.compile(r"[A-Za-z0-9][-A-Za-z0-9._]{0,63}")
SESSION_RULE = 'use 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit'


def check_session(name):
    """Raises FUNCX_BAD_REQUEST, in the hub's words, unless `name` can name a session."""
    if not isinstance(name, str) or not _SESSION_NAME.fullmatch(name):
        raise FuncxError("FUNCX_BAD_REQUEST", "%s is not a valid session name: %s" % (json.dumps(name), SESSION_RULE), 400)
    return name


def submission(function_id, endpoint, args=(), kwargs=None, *, source=None, entrypoint=None, timeout=None,
               return_pickle=False, task_group=None, container_image=None, policy=None, cache=None, session=None):
    """A TaskSubmission dict (protocol/src/tasks.ts)."""
    if (function_id is None) == (source is None):
        raise ValueError("give either a registered function id or source, not both or neither")
    task = {"endpoint": list(endpoint) if isinstance(endpoint, (list, tuple)) else endpoint}
    if policy is not None:
        task["policy"] = policy
    if function_id is not None:
        task["function_id"] = function_id
    else:
        task["source"] = source
        if entrypoint:
            task["entrypoint"] = entrypoint
    if args:
        task["args"] = list(args)
    if kwargs:
        task["kwargs"] = dict(kwargs)
    if timeout is not None:
        task["timeout_s"] = timeout
    if return_pickle:
        task["return_pickle"] = True
    if task_group is not None:
        task["task_group"] = task_group
    if container_image is not None:
        task["container_image"] = container_image
    if cache is not None:
        task["cache"] = bool(cache)
    if session is not None:
        task["session"] = check_session(session)
    return task


def _quote_ref(ref):
    from urllib.parse import quote

    return quote(str(ref), safe="/")

