"""The JSON of a task's arguments, as an Executor writes it into a batch request."""

import json

from . import runtime
from . import source as sources


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


encode = _encoder()


def call_payload(args, kwargs, serializer, name):
    """The `"args":…,"kwargs":…` part of a task: JSON when exact, else one pickled argument for the runtime."""
    args = list(args)
    if runtime.is_exact(args) and (not kwargs or (runtime.is_exact(kwargs) and runtime.ARGS_KEY not in kwargs
                                                  and runtime.MAP_KEY not in kwargs)):
        text = '"args":' + encode(args) if args else ""
        if kwargs:
            text += (',' if text else '') + '"kwargs":' + encode(kwargs)
        return text
    if serializer == "cloudpickle":
        sources.pickle_local_modules_by_value(list(args) + list((kwargs or {}).values()))
    envelope = runtime.pack([args, kwargs or {}], serializer, "the arguments of %s" % name)
    return '"kwargs":' + encode({runtime.ARGS_KEY: envelope})


def chunk_payload(chunk, serializer, name):
    """A chunk of calls (map with chunksize) as one task: the runtime calls the function on each."""
    calls = [list(call) for call in chunk]
    wire = calls if runtime.is_exact(calls) else {
        runtime.ENVELOPE_KEY: runtime.pack(calls, serializer, "the arguments of %s" % name)}
    return '"kwargs":' + encode({runtime.MAP_KEY: wire})


def json_payload(args, kwargs):
    """Arguments of a registered function: JSON as they are (TypeError when they are not JSON)."""
    try:
        payload = '"args":' + encode(list(args)) if args else ""
        if kwargs:
            payload += (',' if payload else '') + '"kwargs":' + encode(dict(kwargs))
    except (TypeError, ValueError) as error:
        raise TypeError("a registered function takes JSON arguments (%s): submit the callable itself to send "
                        "other values" % error) from None
    return payload
