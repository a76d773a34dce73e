"""funcx.store: values passed to and from tasks by reference, through an endpoint's data store.

In a notebook (or any client):

    ref = funcx.store.put(array_bytes, endpoint="cluster")   # stored at the endpoint; ref is small
    future = executor.submit(analyse, ref)                   # the task reads it lazily, there
    big = future.result()                                    # a result over the endpoint's threshold:
    big.size, big.get()                                      #   a DataReference, fetched when asked

Inside a task (on a worker) the same `funcx.store.put/get` use the endpoint's store directly.
"""

import json
import pickle
import sys

from .errors import FuncxError, SerializationError

SCHEME = "funcx-data://"


def format_size(count):
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= size:
            return ("%.1f" % (count / size)).rstrip("0").rstrip(".") + " " + unit
    return "%d B" % count


def is_reference(value):
    return (isinstance(value, dict) and isinstance(value.get("$ref"), str) and value["$ref"].startswith(SCHEME)
            and isinstance(value.get("size"), int))


class DataReference(dict):
    """A value in an endpoint's data store (a dict, so it travels as JSON to the next task): `size` in bytes,
    `get()` fetches it through the hub."""

    _client = None

    @property
    def url(self):
        return self["$ref"]

    @property
    def size(self):
        return self["size"]

    @property
    def endpoint_id(self):
        return self.get("endpoint_id")

    def get(self, *args, client=None):
        if args:
            return dict.get(self, *args)
        return get(self, client=client or self._client)

    def __repr__(self):
        return "DataReference(%s, %s)" % (format_size(self["size"]), self["$ref"])

    def _repr_pretty_(self, printer, cycle):
        printer.text(repr(self))


def wrap(value, client=None):
    """A reference (the JSON dict a task returned) as a DataReference bound to the client that got it."""
    if is_reference(value) and not isinstance(value, DataReference):
        value = DataReference(value)
    if isinstance(value, DataReference) and client is not None:
        value._client = client
    return value


def _in_worker():
    worker_store = sys.modules.get("funcx_store")
    return worker_store if worker_store is not None and worker_store.ACTIVE is not None else None


def _default_client(client):
    if client is not None:
        return client
    from .client import Client

    return Client()


def put(obj, endpoint=None, *, client=None):
    """Stores `obj` (bytes as they are, anything else pickled) and returns its DataReference. From a client,
    `endpoint` names the endpoint whose store keeps it (one request, at most the hub's 10 MiB body)."""
    worker_store = _in_worker()
    if worker_store is not None and endpoint is None:
        return DataReference(worker_store.put(obj))
    if endpoint is None:
        raise FuncxError("FUNCX_BAD_REQUEST", "funcx.store.put(obj, endpoint=...) needs the endpoint whose data store "
                                              "keeps the value (outside a task)")
    if isinstance(obj, (bytes, bytearray, memoryview)):
        kind, body = "bytes", bytes(obj)
    else:
        kind, body = "pickle", pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    client = _default_client(client)
    from urllib.parse import quote

    _, payload = client.transport.request_bytes("POST", "/v1/endpoints/%s/data" % quote(str(endpoint), safe="/"),
                                                body, {"kind": kind})
    return wrap(json.loads(payload)["ref"], client)


def get(ref, *, client=None):
    """The value of a reference: in a task from the endpoint's store, elsewhere through the hub."""
    worker_store = _in_worker()
    if worker_store is not None:
        return worker_store.get(ref)
    if not is_reference(ref):
        raise TypeError("funcx.store.get takes a data reference (a task's result or funcx.store.put's), not %s"
                        % type(ref).__name__)
    store, _, digest = ref["$ref"][len(SCHEME):].partition("/")
    client = _default_client(client)
    headers, payload = client.transport.request_bytes(
        "GET", "/v1/endpoints/%s/data/%s/%s" % (ref.get("endpoint_id"), store, digest))
    if headers.get("X-Funcx-Data-Kind", "bytes") == "bytes":
        return payload
    if not getattr(client, "allow_pickle", True):
        raise SerializationError("the data reference %s holds a pickle, and this client does not load pickles "
                                 "(allow_pickle=False)" % ref["$ref"])
    value = pickle.loads(payload)
    from . import runtime

    return runtime.from_wire(value, "the value of %s" % ref["$ref"])


def inputs():
    """Inside a task: the items a client sends it (Client.send), as they come, until it says there are no more."""
    worker_store = _in_worker()
    if worker_store is None:
        raise FuncxError("FUNCX_BAD_REQUEST", "funcx.inputs() reads a task's input stream: call it inside a task "
                                              "(send items to a task with Client.send(task_id, ...))")
    return worker_store.inputs()


def items(task_id, *, client=None):
    """What a generator task yields, as it yields it: inside a task of the same endpoint straight from its store
    (a pipeline), elsewhere through the hub (Client.stream)."""
    worker_store = _in_worker()
    if worker_store is not None:
        return worker_store.items(task_id)
    return _default_client(client).stream(task_id)
