"""funcx.store inside a worker: values passed between functions by reference (stdlib only, Python 3.9+).

    ref = funcx.store.put(obj)      # stored once by its sha256 in the endpoint's data store; ref is a small dict
    obj = funcx.store.get(ref)      # the value again (bytes come back as bytes, anything else unpickled)

A reference is JSON, {"$ref": "funcx-data://STORE/DIGEST", "size", "digest", "kind", "endpoint_id"}: return it,
or pass it as an argument to the next task. An argument that is a reference arrives as a Proxy that fetches the
value on first use, so a function that only passes it on never downloads it (a Proxy returned, or put again,
is its reference). The endpoint daemon's data server checks each request's data token: a worker holds its own
user's only, so another user's key reads nothing. The wire is protocol/src/data.ts.
"""

import hashlib
import json
import pickle
import socket
import sys
import threading
import types

KIND_BYTES = "bytes"
KIND_PICKLE = "pickle"
SCHEME = "funcx-data://"
# A reference may also name a value on the web: the worker fetches it itself, in pieces, when it is first used.
URL_SCHEMES = ("http://", "https://")
URL_CHUNK_BYTES = 1 << 20
URL_TIMEOUT_S = 60
READ_CHUNK = 1 << 20
# Values up to this size go with their request (protocol/src/data.ts MAX_DATA_INLINE_PUT).
INLINE_PUT = 1 << 20

ACTIVE = None


class DataStoreError(Exception):
    """The data store refused or failed a request; `code` says which (not_found, too_large, ...)."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class Reference(dict):
    """A data reference: a dict (it travels as JSON) with its size and digest at hand."""

    @property
    def url(self):
        return self["$ref"]

    @property
    def size(self):
        return self.get("size")

    def get(self, *args):
        if args:
            return dict.get(self, *args)
        return get(self)

    def __repr__(self):
        size = self.get("size")
        return "<funcx data reference %s, %s>" % (self["$ref"], "size unknown" if size is None else format_size(size))


def format_size(count):
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= size:
            return ("%.1f" % (count / size)).rstrip("0").rstrip(".") + " " + unit
    return "%d B" % count


def is_reference(value):
    # Any dict: the SDK's DataReference (what funcx.store.put returns where the SDK is installed) is one too.
    if not isinstance(value, dict) or not isinstance(value.get("$ref"), str):
        return False
    url = value["$ref"]
    if url.startswith(SCHEME):
        return isinstance(value.get("size"), int)
    return url.startswith(URL_SCHEMES)


def url_chunks(ref):
    """The bytes of a URL reference, a piece at a time as they arrive; its `size` and `digest` (sha256:HEX), when
    the reference gives them, are checked once the last piece is in."""
    import urllib.request
    url = ref["$ref"]
    expected_size = ref.get("size")
    expected_digest = ref.get("digest")
    digest = hashlib.sha256()
    count = 0
    try:
        response = urllib.request.urlopen(url, timeout=URL_TIMEOUT_S)
    except Exception as error:  # noqa: BLE001 - every way a fetch fails is said the same way
        raise DataStoreError("unreachable", "could not fetch %s: %s" % (url, error)) from None
    with response:
        while True:
            try:
                chunk = response.read(URL_CHUNK_BYTES)
            except Exception as error:  # noqa: BLE001
                raise DataStoreError("unreachable", "fetching %s stopped after %d bytes: %s" % (url, count, error)) from None
            if not chunk:
                break
            count += len(chunk)
            digest.update(chunk)
            yield chunk
    if isinstance(expected_size, int) and count != expected_size:
        raise DataStoreError("mismatch", "%s gave %d bytes where its reference says %d" % (url, count, expected_size))
    if isinstance(expected_digest, str) and expected_digest != "sha256:" + digest.hexdigest():
        raise DataStoreError("mismatch", "%s gave bytes of digest sha256:%s where its reference says %s"
                             % (url, digest.hexdigest(), expected_digest))


class DataClient:
    """One connection to the daemon's data server, opened on first use, one request at a time."""

    def __init__(self, address, token):
        host, _, port = address.rpartition(":")
        self.host = host.strip("[]")
        self.port = int(port)
        self.token = token
        self.lock = threading.Lock()
        self.sock = None
        self.reader = None

    def _connect(self):
        if self.sock is None:
            self.sock = socket.create_connection((self.host, self.port), timeout=300)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.reader = self.sock.makefile("rb", buffering=READ_CHUNK)

    def _drop(self):
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None
                self.reader = None

    def _send_line(self, message):
        self.sock.sendall((json.dumps(message, separators=(",", ":")) + "\n").encode())

    def _reply(self):
        line = self.reader.readline()
        if not line:
            raise DataStoreError("unavailable", "the endpoint's data server closed the connection")
        reply = json.loads(line)
        if not reply.get("ok"):
            raise DataStoreError(reply.get("code", "unavailable"), reply.get("message", "the data store failed"))
        return reply

    def put_bytes(self, kind, data):
        view = memoryview(data).cast("B")
        with self.lock:
            try:
                self._connect()
                header = {"op": "put", "token": self.token, "kind": kind, "size": view.nbytes}
                if view.nbytes <= INLINE_PUT:
                    header["digest"] = hashlib.sha256(view).hexdigest()
                    # One round trip: the bytes follow the request line at once.
                    header["with_bytes"] = True
                    line = (json.dumps(header, separators=(",", ":")) + "\n").encode()
                    self.sock.sendall(line + view.tobytes())
                    return Reference(self._reply()["ref"])
                # The bytes go at once and their digest after them, hashed meanwhile (hashlib lets go of the GIL).
                header["digest_follows"] = True
                hashed = {}
                hasher = threading.Thread(target=lambda: hashed.update(hex=hashlib.sha256(view).hexdigest()))
                hasher.start()
                try:
                    self._send_line(header)
                    self.sock.sendall(view)
                finally:
                    hasher.join()
                self.sock.sendall((hashed["hex"] + "\n").encode())
                reply = self._reply()
            except DataStoreError as error:
                if error.code in ("unauthorized", "unavailable"):
                    self._drop()
                raise
            except OSError as error:
                # The server may have refused the value before reading it (it does not fit): say why.
                refusal = self._refusal()
                self._drop()
                if refusal is not None:
                    raise refusal from None
                raise DataStoreError("unavailable", "the endpoint's data server cannot be reached: %s" % error)
        return Reference(reply["ref"])

    def _refusal(self):
        """The error the server answered with before it closed the connection, if it did."""
        if self.sock is None:
            return None
        try:
            self.sock.settimeout(1)
            self._reply()
        except DataStoreError as error:
            return error
        except (OSError, ValueError):
            return None
        return None

    def append(self, task_id, data, done=False):
        """Adds one item (its JSON, bytes) to the task's stream, or ends it; returns once the endpoint holds it
        (it waits while the stream is full: a generator is held back until its reader catches up)."""
        header = {"op": "append", "token": self.token, "task": task_id, "size": len(data)}
        if done:
            header["done"] = True
        with self.lock:
            try:
                self._connect()
                # No read timeout: waiting here is the back-pressure of a reader that is behind.
                self.sock.settimeout(None)
                self.sock.sendall((json.dumps(header, separators=(",", ":")) + "\n").encode() + data)
                self._reply()
            except OSError as error:
                self._drop()
                raise DataStoreError("unavailable", "the endpoint's data server cannot be reached: %s" % error)
            finally:
                if self.sock is not None:
                    self.sock.settimeout(300)

    def take(self, task_id, start, inputs):
        """Items of a stream from index `start`, waiting for one: (items, next, done)."""
        request = {"op": "take", "token": self.token, "task": task_id, "from": start, "wait_ms": 20000}
        if inputs:
            request["inputs"] = True
        with self.lock:
            try:
                self._connect()
                self._send_line(request)
                reply = self._reply()
            except OSError as error:
                self._drop()
                raise DataStoreError("unavailable", "the endpoint's data server cannot be reached: %s" % error)
        return reply["items"], reply["next"], reply["done"]

    def get_bytes(self, url):
        with self.lock:
            try:
                self._connect()
                self._send_line({"op": "get", "token": self.token, "url": url})
                reply = self._reply()
                # read(n) fills one bytes object of n straight from the socket: no second copy.
                data = self.reader.read(reply["size"])
                if len(data) != reply["size"]:
                    self._drop()
                    raise DataStoreError("unavailable", "the data server closed the connection during a read")
            except OSError as error:
                self._drop()
                raise DataStoreError("unavailable", "the endpoint's data server cannot be reached: %s" % error)
        return reply["kind"], data


def _client():
    if ACTIVE is None:
        raise DataStoreError(
            "unavailable",
            "this endpoint has no data store (data_store: false in its config.yaml), or this code does not run in a task")
    return ACTIVE


def put(obj):
    """Stores `obj` (bytes as they are, anything else pickled) and returns its Reference."""
    if isinstance(obj, Proxy):
        return obj.__funcx_ref__
    if is_reference(obj):
        return Reference(obj)
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return _client().put_bytes(KIND_BYTES, obj)
    return _client().put_bytes(KIND_PICKLE, pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))


def get(ref):
    """The value of a reference (or of a Proxy)."""
    if isinstance(ref, Proxy):
        return ref.__funcx_target__()
    if not is_reference(ref):
        raise TypeError("funcx.store.get takes a data reference (what funcx.store.put returned), not %s" % type(ref).__name__)
    if ref["$ref"].startswith(URL_SCHEMES):
        return b"".join(url_chunks(ref))
    kind, data = _client().get_bytes(ref["$ref"])
    return data if kind == KIND_BYTES else pickle.loads(data)


class Proxy:
    """A value fetched from the data store on first use; passed on (returned, put) it stays a reference."""

    __slots__ = ("__funcx_ref__", "__funcx_value__", "__funcx_loaded__")

    def __init__(self, ref):
        object.__setattr__(self, "__funcx_ref__", Reference(ref))
        object.__setattr__(self, "__funcx_loaded__", False)

    def __funcx_target__(self):
        if not object.__getattribute__(self, "__funcx_loaded__"):
            value = get(object.__getattribute__(self, "__funcx_ref__"))
            object.__setattr__(self, "__funcx_value__", value)
            object.__setattr__(self, "__funcx_loaded__", True)
        return object.__getattribute__(self, "__funcx_value__")

    @property
    def __class__(self):
        return type(self.__funcx_target__())

    def __getattr__(self, name):
        return getattr(self.__funcx_target__(), name)

    def __setattr__(self, name, value):
        setattr(self.__funcx_target__(), name, value)

    def __delattr__(self, name):
        delattr(self.__funcx_target__(), name)

    def __repr__(self):
        if object.__getattribute__(self, "__funcx_loaded__"):
            return repr(self.__funcx_target__())
        return "<funcx.store.Proxy of %r (not fetched yet)>" % object.__getattribute__(self, "__funcx_ref__")

    def __reduce_ex__(self, protocol):
        return self.__funcx_target__().__reduce_ex__(protocol)


def _forward(name):
    def method(self, *args, **kwargs):
        return getattr(self.__funcx_target__(), name)(*args, **kwargs)

    method.__name__ = name
    return method


for _name in (
    "__str__", "__bytes__", "__format__", "__hash__", "__bool__", "__len__", "__iter__", "__reversed__",
    "__contains__", "__getitem__", "__setitem__", "__delitem__", "__call__", "__enter__", "__exit__",
    "__lt__", "__le__", "__eq__", "__ne__", "__gt__", "__ge__", "__int__", "__float__", "__complex__", "__index__",
    "__round__", "__neg__", "__pos__", "__abs__", "__invert__", "__array__", "__buffer__", "__fspath__",
    "__add__", "__sub__", "__mul__", "__matmul__", "__truediv__", "__floordiv__", "__mod__", "__divmod__",
    "__pow__", "__lshift__", "__rshift__", "__and__", "__xor__", "__or__",
    "__radd__", "__rsub__", "__rmul__", "__rmatmul__", "__rtruediv__", "__rfloordiv__", "__rmod__",
    "__rdivmod__", "__rpow__", "__rlshift__", "__rrshift__", "__rand__", "__rxor__", "__ror__",
    "__iadd__", "__isub__", "__imul__", "__itruediv__", "__ifloordiv__",
):
    setattr(Proxy, _name, _forward(_name))
# Without __buffer__ (before Python 3.12) bytes(proxy) goes through __bytes__, which a bytes value lacks.
Proxy.__bytes__ = lambda self: bytes(self.__funcx_target__())


_ENCODE = json.JSONEncoder(allow_nan=False, separators=(",", ":")).encode


def stream_generator(task_id, generator):
    """Runs a generator task: each value it yields goes to the task's stream as it is yielded (JSON, or a
    reference to it when it is not JSON or is over INLINE_PUT), the generator waiting while its reader is behind.
    Returns the task's value: how many items there were."""
    client = _client()
    count = 0
    try:
        for item in generator:
            item = unproxied(item)
            try:
                data = _ENCODE(item).encode()
            except (TypeError, ValueError, OverflowError, RecursionError):
                data = None
            if data is None or len(data) > INLINE_PUT:
                data = _ENCODE(dict(put(item))).encode()
            client.append(task_id, data)
            count += 1
    finally:
        # Ended, by its last item or by an error: its readers wait for no more.
        try:
            client.append(task_id, b"", done=True)
        except DataStoreError:
            pass
    return {"stream_items": count}


CURRENT_TASK = None


def _read_stream(task_id, inputs):
    start = 0
    while True:
        items, start, done = _client().take(task_id, start, inputs)
        for item in items:
            yield Proxy(item) if is_reference(item) else item
        if done:
            return


def inputs():
    """The items a client sends this task (Client.send), as they come; ends when it says there are no more."""
    if CURRENT_TASK is None:
        raise DataStoreError("unavailable", "funcx.store.inputs() reads a task's input stream: call it inside a task")
    return _read_stream(CURRENT_TASK, True)


def items(task_id):
    """What another task of yours on this endpoint yields (a generator task), as it yields it: pipelines chain
    without waiting for the first function to finish."""
    return _read_stream(task_id, False)


def resolve_arguments(args, kwargs):
    """Arguments with every reference (at any depth of lists and dicts) replaced by a Proxy."""
    if not _holds_reference(args) and not _holds_reference(kwargs):
        return args, kwargs
    return _replace(list(args), _to_proxy), _replace(dict(kwargs), _to_proxy)


def unproxied(value):
    """A result with every Proxy in it (at any depth of lists, tuples and dicts) replaced by its reference."""
    if isinstance(value, Proxy):
        return object.__getattribute__(value, "__funcx_ref__")
    if type(value) in (list, tuple, dict) and _holds_proxy(value):
        return _replace(value, _to_ref, copy=True)
    return value


def _to_proxy(value):
    return Proxy(value) if is_reference(value) else None


def _to_ref(value):
    return object.__getattribute__(value, "__funcx_ref__") if type(value) is Proxy else None


def _holds_reference(value):
    stack = [value]
    while stack:
        node = stack.pop()
        if type(node) is dict:
            if is_reference(node):
                return True
            stack.extend(node.values())
        elif type(node) in (list, tuple):
            stack.extend(node)
    return False


def _holds_proxy(value):
    stack = [value]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is Proxy:
            return True
        if kind is dict:
            stack.extend(node.values())
        elif kind in (list, tuple):
            stack.extend(node)
    return False


def _replace(root, swap, copy=False):
    """Replaces what `swap` returns something for, in place (or in a copy); tuples are rebuilt."""
    def visit(node, depth):
        if depth > 200:
            return node
        swapped = swap(node)
        if swapped is not None:
            return swapped
        kind = type(node)
        if kind is list:
            if copy:
                return [visit(item, depth + 1) for item in node]
            for i, item in enumerate(node):
                node[i] = visit(item, depth + 1)
        elif kind is dict:
            if copy:
                return {key: visit(item, depth + 1) for key, item in node.items()}
            for key, item in node.items():
                node[key] = visit(item, depth + 1)
        elif kind is tuple:
            return tuple(visit(item, depth + 1) for item in node)
        return node

    return visit(root, 0)


def activate(address, token):
    """Gives this worker its user's access (once, when it is first given a task)."""
    global ACTIVE
    ACTIVE = DataClient(address, token)


def install_module():
    """`import funcx` works in a task even where the funcX SDK is not installed: a module with `store`."""
    try:
        import importlib.util
        if importlib.util.find_spec("funcx") is not None:
            return
    except (ImportError, ValueError):
        pass
    module = types.ModuleType("funcx", "funcX inside a task: funcx.store, funcx.inputs")
    module.store = sys.modules[__name__]
    module.inputs = inputs
    sys.modules["funcx"] = module
