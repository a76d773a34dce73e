"""How a task's value and displays become JSON lines that always encode: every value comes back as something
(its text repr at worst), never as a worker that cannot send its reply."""

import base64
import json
import pickle

from funcx_display import mime_bundle, text_repr

encode = json.JSONEncoder(allow_nan=False, separators=(",", ":")).encode
ENCODE_ERRORS = (TypeError, ValueError, OverflowError, RecursionError)

# Values JSON may carry; anything else has only its representations.
_JSON_TYPES = (int, float, str, bool, list, dict, tuple, type(None))
_CONTAINERS = (list, dict, tuple)
# Values JSON gives back exactly: no pickle is needed beside them.
_EXACT_JSON_TYPES = (int, float, str, bool)
# A value sent as JSON needs no second full copy in text/plain: a longer repr is cut to this many characters.
REPR_PREVIEW_CHARS = 1 << 20


def format_bytes(count):
    """Binary units, as the rest of funcX says sizes: "512 B", "9.8 MiB"."""
    if count < 1024:
        return "%d B" % count
    for unit, size in (("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30)):
        if count < size * 1024 or unit == "GiB":
            return ("%.1f" % (count / size)).rstrip("0").rstrip(".") + " " + unit
    return "%d B" % count


def json_depth(value, limit):
    """How deeply lists, tuples and dicts nest, counted without recursion and given up past `limit`."""
    if not isinstance(value, _CONTAINERS):
        return 0
    deepest = 0
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > deepest:
            deepest = depth
            if deepest > limit:
                return deepest
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, _CONTAINERS):
                stack.append((child, depth + 1))
    return deepest


def _encodes(value, depth_limit):
    if isinstance(value, str):
        return True
    if json_depth(value, depth_limit) > depth_limit:
        return False
    try:
        encode(value)
    except ENCODE_ERRORS:
        return False
    return True


def safe_bundle(data, depth_limit):
    """The entries of a MIME bundle that encode (and nest no deeper than depth_limit); text/plain is kept."""
    kept = {}
    for mime, value in data.items():
        if isinstance(mime, str) and _encodes(value, depth_limit):
            kept[mime] = value
    if not isinstance(kept.get("text/plain"), str):
        kept["text/plain"] = text_repr(data.get("text/plain"))
    return kept


def result_of(value, want_pickle, depth_limit):
    """(result, full_repr): the result dict for a value (not None), and the whole repr when text/plain holds
    only a preview of it because the value itself goes as JSON."""
    if isinstance(value, (int, float, str, bool, list, dict, tuple, bytes)):
        data = {"text/plain": text_repr(value)}
    else:
        data = mime_bundle(value)[0]
    result = {"data": data}
    full_repr = None
    if isinstance(value, _JSON_TYPES) and json_depth(value, depth_limit) <= depth_limit:
        result["value"] = value
        text = data["text/plain"]
        if len(text) > REPR_PREVIEW_CHARS:
            full_repr = text
            data["text/plain"] = text[:REPR_PREVIEW_CHARS] + (
                "\n… (repr cut at %s of %s; the whole value is the result's value)"
                % (format_bytes(REPR_PREVIEW_CHARS), format_bytes(len(text)))
            )
    if want_pickle and type(value) not in _EXACT_JSON_TYPES:
        try:
            result["pickle"] = base64.b64encode(pickle.dumps(value, protocol=4)).decode("ascii")
        except Exception:  # noqa: BLE001 - not every value pickles
            pass
    return result, full_repr


def encode_success(reply, full_repr, depth_limit):
    """The ok reply as one line: without `value` if it does not encode (then with its whole repr), then with
    only the representations that encode."""
    try:
        return encode(reply)
    except ENCODE_ERRORS:
        pass
    result = reply["r"]
    result.pop("value", None)
    if full_repr is not None:
        result["data"]["text/plain"] = full_repr
    try:
        return encode(reply)
    except ENCODE_ERRORS:
        pass
    result["data"] = safe_bundle(result["data"], depth_limit)
    return encode(reply)


def encode_display(message, depth_limit):
    """A display reply as one line: representations that do not encode are left out, metadata too if it does
    not encode."""
    data = message["data"]
    if any(not isinstance(value, str) for value in data.values()):
        message["data"] = safe_bundle(data, depth_limit)
    try:
        return encode(message)
    except ENCODE_ERRORS:
        pass
    message["data"] = safe_bundle(message["data"], depth_limit)
    try:
        return encode(message)
    except ENCODE_ERRORS:
        message["md"] = {}
        return encode(message)
