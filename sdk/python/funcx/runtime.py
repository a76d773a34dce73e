"""The part of funcX that travels with every function an Executor sends (and that the client uses too).

Its source is embedded in the function's source and run once per worker in a namespace of its own, so it uses
the standard library only (cloudpickle or dill when installed) and never imports the rest of funcx. It builds the
function from what the client sent (its source, a pickle or an importable name), and turns each call into a
value the hub carries: JSON when JSON gives back exactly that value, else a pickle in an envelope that names
the serializer, its version and the Python that wrote it, so a mismatch is named instead of guessed.
"""

import asyncio
import base64
import builtins
import importlib
import inspect
import linecache
import math
import platform
import re
import sys

PYTHON = platform.python_version()
# A value the hub carries as {ENVELOPE_KEY: envelope}: pickled, with who pickled it.
ENVELOPE_KEY = "__funcx_pickled__"
# Keyword arguments the entry reserves: the call's arguments pickled, or a chunk of calls (Executor.map).
ARGS_KEY = "__funcx_args__"
MAP_KEY = "__funcx_map__"
# Nesting the hub accepts is 64 levels counted from the top of a request body; a task's arguments start a few
# levels down, and a value deeper than this travels pickled instead.
MAX_DEPTH = 56
# The hub is JavaScript: integers beyond 2**53 would lose digits there.
MAX_SAFE_INTEGER = 2 ** 53 - 1
PICKLE_PROTOCOL = 4
SERIALIZERS = ("cloudpickle", "dill", "pickle")
_ARRAY_INDEX = re.compile(r"^(?:0|[1-9][0-9]{0,9})$")


class SerializationError(Exception):
    """A function, argument or value that could not be pickled or unpickled."""


class VersionMismatchError(SerializationError):
    """Pickled code or data met another Python or serializer version than the one that pickled it."""


def is_exact(value, depth=0):
    """True when JSON through the hub gives back exactly this value (and type)."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER
    if kind is float:
        # 2.0 comes back as 2 (JavaScript has one number type), -0.0 as 0, nan and inf not at all.
        return math.isfinite(value) and value != int(value)
    if depth >= MAX_DEPTH:
        return False
    if kind is not dict and isinstance(value, dict) and _as_reference(value) is not None:
        # A DataReference (a dict subclass) goes as the JSON it is; it comes back as a DataReference.
        return True
    if kind is list:
        for item in value:
            if not is_exact(item, depth + 1):
                return False
        return True
    if kind is dict:
        if ENVELOPE_KEY in value:
            return False
        for key, item in value.items():
            # JavaScript puts keys that look like array indices first: their order would not survive.
            if type(key) is not str or (key[:1].isdigit() and _ARRAY_INDEX.match(key)) or not is_exact(item, depth + 1):
                return False
        return True
    return False


def serializer(name):
    """The module of a serializer, or None when it is not installed."""
    if name not in SERIALIZERS:
        return None
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def serializer_version(name):
    if name == "pickle":
        return "protocol %d" % PICKLE_PROTOCOL
    module = serializer(name)
    return getattr(module, "__version__", "unknown") if module is not None else None


def preferred_serializer(code=False):
    """cloudpickle, else dill; plain pickle for data when neither is installed (None for code)."""
    for name in SERIALIZERS if not code else SERIALIZERS[:2]:
        if serializer(name) is not None:
            return name
    return None


def _minor(version):
    return ".".join(str(version).split(".")[:2])


def pack(value, name=None, what="the value"):
    """The envelope of a pickled value: {serializer, version, python, data (base64)}."""
    name = name or preferred_serializer()
    module = serializer(name)
    if module is None:
        raise SerializationError("%s cannot be pickled: %s is not installed (Python %s)" % (what, name, PYTHON))
    try:
        data = module.dumps(value, protocol=PICKLE_PROTOCOL)
    except Exception as error:  # noqa: BLE001 - whatever the pickler raises, say what could not be pickled
        raise SerializationError("%s (%s) could not be pickled by %s %s on Python %s: %s: %s" % (
            what, type(value).__name__, name, serializer_version(name), PYTHON, type(error).__name__, error)) from None
    return {"serializer": name, "version": serializer_version(name), "python": PYTHON,
            "data": base64.b64encode(data).decode("ascii")}


def unpack(envelope, what="the value", code=False):
    """The value in an envelope; a mismatch of Python (for code, checked first) or serializer is named."""
    name = envelope.get("serializer")
    version = envelope.get("version")
    python = envelope.get("python")
    module = serializer(name)
    origin = "%s %s on Python %s" % (name, version, python)
    if module is None:
        raise SerializationError("%s was pickled by %s, which is not installed here (Python %s): install %s%s" % (
            what, origin, PYTHON, name, "==" + version if version and name != "pickle" else ""))
    here = "%s %s on Python %s" % (name, serializer_version(name), PYTHON)
    if code and _minor(python) != _minor(PYTHON):
        raise VersionMismatchError("%s was pickled by %s and cannot run on Python %s (%s): pickled code needs the "
                                   "same Python minor version on both sides; use Python %s here, or a function whose "
                                   "source is enough" % (what, origin, PYTHON, here, _minor(python)))
    try:
        return module.loads(base64.b64decode(envelope["data"]))
    except Exception as error:  # noqa: BLE001 - name what failed and where it came from
        cause = "%s: %s" % (type(error).__name__, error)
        if _minor(python) != _minor(PYTHON) or version != serializer_version(name):
            raise VersionMismatchError("%s could not be unpickled (%s): it was pickled by %s and is loaded by %s" % (
                what, cause, origin, here)) from None
        raise SerializationError("%s could not be unpickled by %s (%s)" % (what, here, cause)) from None


class Packed(dict):
    """A value that JSON would not give back exactly, as it travels: its envelope, shown as the value's repr."""

    def __init__(self, envelope, text):
        super().__init__({ENVELOPE_KEY: envelope})
        self._text = text

    def __repr__(self):
        return self._text


def _text_repr(value):
    try:
        return repr(value)
    except Exception as error:  # noqa: BLE001 - a broken __repr__ must not lose the value
        return "<%s object (repr failed: %s)>" % (type(value).__name__, error)


def _as_reference(value):
    """A data reference (a DataReference, the worker's Reference or Proxy) as the plain dict it travels as."""
    worker_store = sys.modules.get("funcx_store")
    if worker_store is not None and type(value) is worker_store.Proxy:
        return dict(object.__getattribute__(value, "__funcx_ref__"))
    if isinstance(value, dict) and type(value) is not dict and isinstance(value.get("$ref"), str) \
            and value["$ref"].startswith("funcx-data://"):
        return dict(value)
    return None


def to_wire(value, name=None, what="the value"):
    """The value itself when JSON carries it exactly, else a Packed envelope; a data reference as its JSON."""
    reference = _as_reference(value)
    if reference is not None:
        return reference
    if is_exact(value):
        return value
    return Packed(pack(value, name, what), _text_repr(value))


def from_wire(value, what="the value"):
    if type(value) is dict and len(value) == 1 and ENVELOPE_KEY in value:
        return unpack(value[ENVELOPE_KEY], what)
    return value


# ---- on the worker: the function and its entry ----

def _source_namespace(host):
    # In a session the function lives in the session's namespace: its globals are the session's variables.
    if "__funcx_session__" in host:
        return host
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    if "display" in host:
        namespace["display"] = host["display"]
    return namespace


def _remember_lines(units):
    """Registers the source of each file the units come from, at their own line numbers, for tracebacks."""
    files = {}
    for unit in units:
        lines = files.setdefault(unit["filename"], {})
        for offset, line in enumerate(unit["source"].splitlines(True)):
            lines[unit["line"] + offset] = line
    for filename, lines in files.items():
        known = linecache.cache.get(filename)
        if known is not None and len(known) == 4 and known[1] is not None:
            continue  # the file itself is read already (the client's own process): it is the truth
        text = [lines.get(number, "\n") for number in range(1, max(lines) + 1)]
        linecache.cache[filename] = (sum(map(len, text)), None, text, filename)


def load_function(spec, host):
    kind = spec["kind"]
    what = "the function %s" % spec.get("name", "?")
    if kind == "pickle":
        return unpack(spec["envelope"], what, code=True)
    if kind == "reference":
        target = importlib.import_module(spec["module"])
        for part in spec["qualname"].split("."):
            target = getattr(target, part)
        return target
    namespace = _source_namespace(host)
    for line in spec.get("imports", ()):
        exec(line, namespace)
    namespace.update(spec.get("constants", {}))
    units = spec["units"]
    _remember_lines(units)
    for unit in units:
        exec(compile("\n" * (unit["line"] - 1) + unit["source"], unit["filename"], "exec"), namespace)
    return namespace[spec["name"]]


def _call(function, args, kwargs):
    value = function(*args, **kwargs)
    if inspect.iscoroutine(value):
        value = asyncio.run(value)
    return value


def make_entry(spec, host):
    """The entrypoint the worker calls: fn(*args, **kwargs), its arguments and value as the client sent and
    wants them."""
    function = load_function(spec["function"], host)
    name = spec["function"].get("name", "function")
    result_serializer = spec.get("result_serializer")
    if serializer(result_serializer) is None:
        result_serializer = preferred_serializer()

    def entry(*args, **kwargs):
        if kwargs:
            packed = kwargs.pop(ARGS_KEY, None)
            chunk = kwargs.pop(MAP_KEY, None)
            if packed is not None:
                args, kwargs = unpack(packed, "the arguments of %s" % name)
            if chunk is not None:
                calls = from_wire(chunk, "the arguments of %s" % name)
                values = [_call(function, call, {}) for call in calls]
                return to_wire(values, result_serializer, "the values of %s" % name)
        return to_wire(_call(function, args, kwargs), result_serializer, "the value of %s" % name)

    entry.__name__ = entry.__qualname__ = name
    return entry
