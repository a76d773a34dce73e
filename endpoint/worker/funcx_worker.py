"""The funcX worker: runs Python functions for the endpoint daemon (stdlib only, Python 3.9+).

The daemon talks to the worker over two dedicated pipes, JSON lines, so that nothing user code prints can
corrupt the protocol: requests arrive on fd 3, replies leave on fd 4. fd 1 and fd 2 stay the real
stdout/stderr pipes: the daemon attributes what arrives there (C extensions, subprocesses) to the running task.

The format is typed once, in protocol/src/worker-wire.ts; this is the same, as the worker sees it:

Requests:   {"t":"f","f":FUNCTION_ID,"s":SOURCE,"e":ENTRYPOINT|null}  define (or redefine) a function
            {"t":"r","i":TASK_ID,"f":FUNCTION_ID,"a":ARGS,"k":KWARGS[,"p":true][,"n":SESSION]}
                                                                     run a task (in arrival order); p: pickle it too;
                                                                     n: in the session's namespace, kept between tasks
            {"t":"u","a":"HOST:PORT","k":DATA_TOKEN,"r":BYTES}       the data store (funcx_store), once, before
                                                                     the worker's first task; results whose reply
                                                                     passes BYTES are stored, sent as a reference
Replies:    {"t":"ready","pid":N,"python":"3.11.7"}
            {"t":"s","i":TASK_ID,"ts":MS}                           a task that runs a while has started
            {"t":"o","i":TASK_ID,"n":"stdout"|"stderr","x":TEXT}     printed text
            {"t":"d","i":TASK_ID,"data":BUNDLE,"md":METADATA}        display_data
            {"t":"ok","i":TASK_ID,"ts0":MS,"ts1":MS,"r":RESULT}     RESULT = {value?, data, pickle?}
            {"t":"err","i":TASK_ID,"ts0":MS,"ts1":MS,"e":{"ename","evalue","traceback"}}

Command line: funcx_worker.py [--scratch DIR] [--memory-mb N] [--processes N] [--reaper] [--stdio]
[--value-depth N] [--display-depth N]. Every task starts in DIR/task, fresh for each task (see
funcx_process.TaskDir). With --stdio the requests arrive on stdin and the replies leave on stdout instead (a
container runtime that cannot pass fds 3 and 4, such as docker); what is then written to fd 1 arrives as stderr.
"""

import ast
import builtins
import io
import json
import linecache
import os
import platform
import re
import sys
import threading
import time
import types

from funcx_display import figure_bundle, format_error, is_figure, mime_bundle
from funcx_ipython import route_ipython_display
from funcx_process import TaskDir, apply_limits, become_reaper, die_with_parent, speak_over_stdio
from funcx_results import encode, encode_display, encode_success, format_bytes, result_of
import funcx_store

IN_FD = 3
OUT_FD = 4
READ_SIZE = 1 << 20
# Completed replies are written together: at the end of what was read, every FLUSH_COUNT replies, or when the
# oldest waiting reply is older than FLUSH_AGE_S. A background tick sends what is left behind a long task.
FLUSH_COUNT = 128
FLUSH_AGE_S = 0.002
TICK_S = 0.02
STARTED_AFTER_S = 0.01
PARTIAL_LINE_AGE_S = 0.05
STREAM_MIN_GAP_S = 0.005
# Defaults of the limits the daemon passes (protocol/src/worker-wire.ts).
VALUE_DEPTH = 62
DISPLAY_DEPTH = 61

_quote = json.encoder.encode_basestring_ascii
_now = time.time
_NONE_RESULT = {"value": None, "data": {"text/plain": "None"}}
_NONE_REPLY_END = ',"r":' + encode(_NONE_RESULT) + "}"
# The kind and id at the start of a request line, for answering one that does not decode.
_REQUEST_HEAD = re.compile(rb'^\{"t":"([a-z]+)","([if])":"([^"\\]*)"')


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


class Channel:
    """Replies to the daemon, written together. Shared by the main loop, task streams and the tick thread."""

    def __init__(self, fd):
        self.fd = fd
        self.lock = threading.RLock()
        self.pending = []
        self.oldest = 0.0
        self.last_write = 0.0

    def put(self, message):
        self.put_line(encode(message))

    def put_line(self, line):
        with self.lock:
            if not self.pending:
                self.oldest = _now()
            self.pending.append(line)

    def flush(self):
        with self.lock:
            if not self.pending:
                return
            data = ("\n".join(self.pending) + "\n").encode("ascii")
            self.pending = []
            self.last_write = _now()
            _write_all(self.fd, data)


class TaskStream(io.TextIOBase):
    """sys.stdout / sys.stderr while tasks run: text goes to the running task as it is written."""

    def __init__(self, worker, name, fd):
        super().__init__()
        self._worker = worker
        self._name = name
        self._fd = fd
        self._parts = []
        self._since = 0.0

    @property
    def encoding(self):
        return "utf-8"

    def writable(self):
        return True

    def isatty(self):
        return False

    def fileno(self):
        return self._fd

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError("write() argument must be str, not %s" % type(text).__name__)
        if not text:
            return 0
        channel = self._worker.channel
        with channel.lock:
            if not self._parts:
                self._since = _now()
            self._parts.append(text)
            if "\n" in text:
                self._emit_lines()
                if _now() - channel.last_write >= STREAM_MIN_GAP_S:
                    channel.flush()
        return len(text)

    def flush(self):
        channel = self._worker.channel
        with channel.lock:
            self.emit_all()
            channel.flush()

    def _emit_lines(self):
        text = "".join(self._parts)
        cut = text.rfind("\n") + 1
        rest = text[cut:]
        self._parts = [rest] if rest else []
        self._send(text[:cut])

    def emit_all(self):
        """Moves everything written so far, partial line included, into the channel."""
        if self._parts:
            text = "".join(self._parts)
            self._parts = []
            self._send(text)

    def emit_if_stale(self, now):
        if self._parts and now - self._since >= PARTIAL_LINE_AGE_S:
            self.emit_all()

    def _send(self, text):
        self._worker.channel.put({"t": "o", "i": self._worker.current, "n": self._name, "x": text})


class Function:
    """A function compiled once and kept by id."""

    def __init__(self, function_id, source, entrypoint):
        self.entrypoint = entrypoint
        self.filename = "<function %s>" % entrypoint if entrypoint else "<cell>"
        self.source = source
        self.error = None
        self.body = None
        self.last_expr = None
        self.callable = None
        self.remember_source()
        try:
            if entrypoint:
                self.body = compile(source, self.filename, "exec")
            else:
                tree = ast.parse(source, self.filename)
                if tree.body and isinstance(tree.body[-1], ast.Expr):
                    self.last_expr = compile(ast.Expression(tree.body.pop().value), self.filename, "eval")
                self.body = compile(tree, self.filename, "exec")
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            self.error = format_error(exc, frames=False)

    def remember_source(self):
        linecache.cache[self.filename] = (len(self.source), None, self.source.splitlines(True), self.filename)


def _error(ename, evalue):
    return {"ename": ename, "evalue": evalue, "traceback": ["%s: %s" % (ename, evalue)]}


class Worker:
    def __init__(self, options):
        self.channel = Channel(OUT_FD)
        self.functions = {}
        self.current = None
        self.started_at = 0.0
        self.start_sent = True
        self.shown_figures = set()
        self.value_depth = options.get("value_depth", VALUE_DEPTH)
        self.display_depth = options.get("display_depth", DISPLAY_DEPTH)
        self.task_dir = TaskDir(options["scratch"]) if options.get("scratch") else None
        # A worker kept for one session (the daemon sends it only that session's tasks) runs them in one namespace.
        self.session_namespace = None
        self.session_functions = set()
        self.stdout = TaskStream(self, "stdout", 1)
        self.stderr = TaskStream(self, "stderr", 2)
        # Results whose reply is longer go to the data store and come back as a reference (0: never).
        self.store_results_over = 0

    # ---- namespace given to user code ----

    def display(self, *objects, raw=False, metadata=None, **_options):
        for obj in objects:
            if raw and isinstance(obj, dict):
                # IPython's display(bundle, raw=True): obj is already a MIME bundle.
                self.send_display(obj, metadata or {})
                continue
            if is_figure(obj):
                self.shown_figures.add(id(obj))
                data, metadata = figure_bundle(obj)
            else:
                data, metadata = mime_bundle(obj)
            self.send_display(data, metadata)

    def send_display(self, data, metadata):
        channel = self.channel
        with channel.lock:
            self.stdout.emit_all()
            self.stderr.emit_all()
            message = {"t": "d", "i": self.current, "data": data, "md": metadata}
            channel.put_line(encode_display(message, self.display_depth))
            channel.flush()

    def show_figures(self):
        """Displays every open pyplot figure and closes them (plt.show() and the end of each task)."""
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is None:
            return
        for number in plt.get_fignums():
            figure = plt.figure(number)
            if id(figure) not in self.shown_figures:
                data, metadata = figure_bundle(figure)
                self.send_display(data, metadata)
        plt.close("all")
        self.shown_figures.clear()

    def namespace(self):
        return {"__name__": "__main__", "__builtins__": builtins, "display": self.display}

    def session(self, name):
        """The session's namespace; `__funcx_session__` in it tells code sent by the SDK to run there too."""
        if self.session_namespace is None:
            self.session_namespace = self.namespace()
            self.session_namespace["__funcx_session__"] = name
        return self.session_namespace

    def session_callable(self, function, function_id, namespace):
        """A function with an entrypoint, defined in the session's namespace (once), so it sees the session's
        variables as its globals."""
        if function_id not in self.session_functions:
            exec(function.body, namespace)
            self.session_functions.add(function_id)
        target = namespace.get(function.entrypoint)
        if not callable(target):
            raise NameError("the function's source defines no callable named %r" % function.entrypoint)
        return target

    # ---- running ----

    def define(self, message):
        function = Function(message["f"], message["s"], message.get("e"))
        self.session_functions.discard(message["f"])
        if function.entrypoint and function.error is None:
            namespace = self.namespace()
            try:
                exec(function.body, namespace)
                function.callable = namespace.get(function.entrypoint)
                if not callable(function.callable):
                    raise NameError("the function's source defines no callable named %r" % function.entrypoint)
            except BaseException as exc:  # noqa: B902 - reported on every task of this function
                function.error = format_error(exc)
            if self.task_dir is not None:
                self.task_dir.after_task()
        self.functions[message["f"]] = function

    def run(self, message):
        task_id = message["i"]
        ts0 = _now()
        channel = self.channel
        if channel.pending and ts0 - channel.oldest >= FLUSH_AGE_S:
            channel.flush()
        # Under the channel lock: the tick thread reads these three together.
        with channel.lock:
            self.current = task_id
            self.started_at = ts0
            self.start_sent = False
        function = self.functions.get(message["f"])
        if function is None or function.error is not None:
            error = function.error if function is not None else _error(
                "LookupError", "function %s was not sent to this worker" % message["f"])
            self.finish({"t": "err", "i": task_id, "ts0": ts0 * 1000, "ts1": _now() * 1000, "e": error})
            return
        try:
            args = message.get("a") or ()
            kwargs = message.get("k") or {}
            funcx_store.CURRENT_TASK = task_id
            if args or kwargs:
                args, kwargs = funcx_store.resolve_arguments(args, kwargs)
            session = message.get("n")
            if session is not None:
                namespace = self.session(session)
                if function.callable is not None:
                    value = self.session_callable(function, message["f"], namespace)(*args, **kwargs)
                else:
                    exec(function.body, namespace)
                    value = eval(function.last_expr, namespace) if function.last_expr is not None else None
            elif function.callable is not None:
                value = function.callable(*args, **kwargs)
            else:
                namespace = self.namespace()
                exec(function.body, namespace)
                value = eval(function.last_expr, namespace) if function.last_expr is not None else None
            streamed = None
            if type(value) is types.GeneratorType and funcx_store.ACTIVE is not None:
                # A generator (a function's value or a cell's last expression) streams what it yields, as it yields
                # it, to the endpoint's data store; its readers learn of it from the start message.
                self.announce_stream(task_id)
                streamed = funcx_store.stream_generator(task_id, value)
            if "matplotlib.pyplot" in sys.modules:
                self.show_figures()
        except BaseException as exc:  # noqa: B902 - the user's SystemExit and KeyboardInterrupt are task errors
            function.remember_source()
            self.finish({"t": "err", "i": task_id, "ts0": ts0 * 1000, "ts1": _now() * 1000,
                         "e": format_error(exc)})
            return
        if streamed is not None:
            self.finish(self.stream_summary(task_id, ts0, streamed))
            return
        self.finish(self.success(task_id, ts0, value, message.get("p") is True))

    def announce_stream(self, task_id):
        channel = self.channel
        with channel.lock:
            self.start_sent = True
            channel.put({"t": "s", "i": task_id, "ts": self.started_at * 1000, "g": True})
            channel.flush()

    @staticmethod
    def stream_summary(task_id, ts0, value):
        count = value["stream_items"]
        text = "%d item%s streamed" % (count, "" if count == 1 else "s")
        return {"t": "ok", "i": task_id, "ts0": ts0 * 1000, "ts1": _now() * 1000,
                "r": {"value": value, "data": {"text/plain": text}}}

    def success(self, task_id, ts0, value, want_pickle):
        if value is None:
            if type(task_id) is str:
                # The commonest reply, written by hand: a third of the cost of encoding it as a dict.
                return ('{"t":"ok","i":' + _quote(task_id) + ',"ts0":' + repr(ts0 * 1000) + ',"ts1":' +
                        repr(_now() * 1000) + _NONE_REPLY_END)
            return {"t": "ok", "i": task_id, "ts0": ts0 * 1000, "ts1": _now() * 1000, "r": _NONE_RESULT}
        try:
            value = funcx_store.unproxied(value)
            result, full_repr = result_of(value, want_pickle, self.value_depth)
            reply = {"t": "ok", "i": task_id, "ts0": ts0 * 1000, "ts1": _now() * 1000, "r": result}
            line = encode_success(reply, full_repr, self.value_depth)
            if self.store_results_over and len(line) > self.store_results_over and not funcx_store.is_reference(value):
                return self.stored_result(task_id, ts0, value, len(line))
            return line
        except BaseException as exc:  # noqa: B902 - a value whose representation breaks is the task's error
            return {"t": "err", "i": task_id, "ts0": ts0 * 1000, "ts1": _now() * 1000, "e": format_error(exc)}

    def stored_result(self, task_id, ts0, value, reply_bytes):
        """A result too large to travel inline: kept in the data store, returned as its reference."""
        try:
            ref = funcx_store.put(value)
        except funcx_store.DataStoreError as exc:
            return {"t": "err", "i": task_id, "ts0": ts0 * 1000, "ts1": _now() * 1000, "e": _error(
                "DataStoreError", "the result (%s) is over the size sent inline and could not be stored: %s"
                % (format_bytes(reply_bytes), exc))}
        text = "<funcx data reference: %s, %s; fetch it with funcx.store.get(ref) or funcx data get>" % (
            format_bytes(ref["size"]), ref["$ref"])
        return {"t": "ok", "i": task_id, "ts0": ts0 * 1000, "ts1": _now() * 1000,
                "r": {"value": dict(ref), "data": {"text/plain": text}}}

    def finish(self, reply):
        channel = self.channel
        with channel.lock:
            if self.stdout._parts or self.stderr._parts:
                self.stdout.emit_all()
                self.stderr.emit_all()
            self.current = None
            channel.put_line(reply if type(reply) is str else encode(reply))
            if len(channel.pending) >= FLUSH_COUNT:
                channel.flush()
        if self.task_dir is not None:
            self.task_dir.after_task()

    def refuse(self, line, exc):
        """A request that does not decode (arguments nested too deeply for json): its task fails, the worker
        serves on."""
        head = _REQUEST_HEAD.match(line)
        if head is None:
            return
        kind, item = head.group(1).decode(), head.group(3).decode()
        if isinstance(exc, RecursionError):
            error = _error("RecursionError", "the task's arguments nest too deeply for the worker to decode them")
        else:
            error = _error("WorkerProtocolError", "the worker could not decode a request: %s" % exc)
        if kind == "r":
            now = _now() * 1000
            self.finish({"t": "err", "i": item, "ts0": now, "ts1": now, "e": error})
        elif kind == "f":
            function = Function(item, "", None)
            function.error = error
            self.functions[item] = function

    def tick_once(self, now):
        channel = self.channel
        with channel.lock:
            if self.current is not None and not self.start_sent and now - self.started_at >= STARTED_AFTER_S:
                self.start_sent = True
                channel.put({"t": "s", "i": self.current, "ts": self.started_at * 1000})
            self.stdout.emit_if_stale(now)
            self.stderr.emit_if_stale(now)
            if channel.pending and now - channel.oldest >= FLUSH_AGE_S:
                channel.flush()

    def tick(self):
        """Background thread: reports long tasks as started and sends output left waiting."""
        while True:
            time.sleep(TICK_S)
            self.tick_once(_now())

    def serve(self):
        os.set_inheritable(IN_FD, False)
        os.set_inheritable(OUT_FD, False)
        sys.stdin = open(os.devnull)
        sys.stdout = self.stdout
        sys.stderr = self.stderr
        threading.Thread(target=self.tick, name="funcx-tick", daemon=True).start()
        self.channel.put({"t": "ready", "pid": os.getpid(), "python": platform.python_version()})
        self.channel.flush()
        loads = json.loads
        # Read into one buffer kept for the worker's life: os.read(fd, READ_SIZE) would allocate READ_SIZE bytes
        # at every read, which the C library maps and unmaps (mmap, mremap, munmap) for each task that comes alone.
        buffer = bytearray(READ_SIZE)
        rest = b""
        while True:
            size = os.readv(IN_FD, (buffer,))
            if not size:
                return
            chunk = buffer[:size]
            if rest:
                chunk = rest + chunk
            lines = chunk.split(b"\n")
            rest = lines.pop()
            for line in lines:
                if not line:
                    continue
                try:
                    message = loads(line)
                except (ValueError, RecursionError, MemoryError) as exc:
                    self.refuse(line, exc)
                    continue
                kind = message["t"]
                if kind == "r":
                    self.run(message)
                elif kind == "f":
                    self.define(message)
                elif kind == "u":
                    funcx_store.activate(message["a"], message["k"])
                    self.store_results_over = message.get("r") or 0
            self.channel.flush()


def parse_options(argv):
    options = {}
    flags = {"--scratch": ("scratch", str), "--memory-mb": ("memory_mb", int), "--processes": ("processes", int),
             "--value-depth": ("value_depth", int), "--display-depth": ("display_depth", int)}
    i = 0
    while i < len(argv):
        if argv[i] in ("--reaper", "--stdio"):
            options[argv[i][2:]] = True
            i += 1
            continue
        name, kind = flags[argv[i]]
        options[name] = kind(argv[i + 1])
        i += 2
    return options


if __name__ == "__main__":
    OPTIONS = parse_options(sys.argv[1:])
    if OPTIONS.get("stdio"):
        speak_over_stdio()
    die_with_parent()
    if OPTIONS.get("reaper"):
        become_reaper()
    apply_limits(OPTIONS.get("memory_mb"), OPTIONS.get("processes"))
    funcx_store.install_module()
    WORKER = Worker(OPTIONS)
    route_ipython_display(WORKER.display)
    WORKER.serve()
