"""MIME bundles for display() and results, matplotlib figures as PNG, and tracebacks in the user's terms."""

import base64
import io
import os
import traceback

_WORKER_DIR = os.path.dirname(os.path.abspath(__file__))

# Rich representations in the order Jupyter prefers them; binary ones are sent base64-encoded.
_REPR_METHODS = (
    ("_repr_html_", "text/html"),
    ("_repr_markdown_", "text/markdown"),
    ("_repr_svg_", "image/svg+xml"),
    ("_repr_png_", "image/png"),
    ("_repr_jpeg_", "image/jpeg"),
    ("_repr_json_", "application/json"),
    ("_repr_latex_", "text/latex"),
)
_BINARY_MIMES = ("image/png", "image/jpeg")


def text_repr(obj):
    try:
        return repr(obj)
    except Exception as exc:  # noqa: BLE001 - a broken __repr__ must not fail the task
        return "<%s object (repr failed: %s)>" % (type(obj).__name__, exc)


def _encode_value(mime, value):
    if isinstance(value, (bytes, bytearray)):
        if mime in _BINARY_MIMES:
            return base64.b64encode(bytes(value)).decode("ascii")
        return bytes(value).decode("utf-8", "replace")
    return value


def mime_bundle(obj):
    """(data, metadata) for obj: always text/plain, plus every rich representation it offers."""
    data = {"text/plain": text_repr(obj)}
    metadata = {}
    if isinstance(obj, type):
        return data, metadata
    mimebundle = getattr(obj, "_repr_mimebundle_", None)
    if callable(mimebundle):
        try:
            produced = mimebundle(include=None, exclude=None)
            if isinstance(produced, tuple):
                produced, extra = produced
                metadata.update(extra or {})
            for mime, value in (produced or {}).items():
                data[mime] = _encode_value(mime, value)
        except Exception:  # noqa: BLE001 - fall back to the _repr_*_ methods
            pass
    for method_name, mime in _REPR_METHODS:
        if mime in data:
            continue
        method = getattr(obj, method_name, None)
        if not callable(method):
            continue
        try:
            value = method()
        except Exception:  # noqa: BLE001 - a representation that fails is left out
            continue
        if value is None:
            continue
        if isinstance(value, tuple) and len(value) == 2:
            value, extra = value
            metadata[mime] = extra
        data[mime] = _encode_value(mime, value)
    return data, metadata


def is_figure(obj):
    return type(obj).__module__.startswith("matplotlib.") and hasattr(obj, "savefig") and hasattr(obj, "dpi")


def figure_bundle(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    png = base64.b64encode(buffer.getvalue()).decode("ascii")
    width, height = figure.get_size_inches() * figure.dpi
    return (
        {"image/png": png, "text/plain": text_repr(figure)},
        {"image/png": {"width": int(width), "height": int(height)}},
    )


def _is_worker_frame(tb):
    return os.path.dirname(tb.tb_frame.f_code.co_filename) == _WORKER_DIR


def format_error(exc, frames=True):
    """{ename, evalue, traceback}: the worker's own frames removed, the user's code named <cell>/<function F>.
    frames=False leaves out the stack (a syntax error in the source: only where it is)."""
    tb = exc.__traceback__ if frames else None
    while tb is not None and _is_worker_frame(tb):
        tb = tb.tb_next
    try:
        text = "".join(traceback.format_exception(type(exc), exc, tb))
    except Exception:  # noqa: BLE001 - never lose the error because it could not be formatted
        text = "%s: %s" % (type(exc).__name__, exc)
    try:
        evalue = str(exc)
    except Exception:  # noqa: BLE001
        evalue = "<unprintable %s>" % type(exc).__name__
    return {"ename": type(exc).__name__, "evalue": evalue, "traceback": text.rstrip("\n").split("\n")}
