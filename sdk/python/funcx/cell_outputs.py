"""A task's outputs as a kernel shows them, matching what JupyterLab's %%funcx executor writes into a cell
(extension/src/outputs.ts): streams as streams, displays re-displayed, the value as the execution result, an
error as an error output with the remote traceback as it came."""

import sys

from .errors import TaskCancelled
from .values import clean_traceback

RED = "\x1b[0;31m"
RESET = "\x1b[0m"


class CellError(Exception):
    """An error output of the cell (`ename`, `evalue`, `traceback`), raised so the cell fails as a kernel cell
    would; IPython shows `traceback` through _render_traceback_."""

    def __init__(self, ename, evalue, traceback):
        super().__init__(evalue)
        self.ename = ename
        self.evalue = evalue
        self.traceback = list(traceback) or ["%s: %s" % (ename, evalue)]

    def __str__(self):
        return self.evalue

    def _render_traceback_(self):
        return self.traceback


_error_classes = {}


def cell_error(ename, evalue, traceback=None):
    """A CellError whose class is named `ename` (IPython names the error output after the class)."""
    name = ename if isinstance(ename, str) and ename.isidentifier() else "FuncxError"
    cls = _error_classes.get(name)
    if cls is None:
        cls = _error_classes[name] = type(name, (CellError,), {"__module__": "funcx.cell"})
    if traceback is None:
        traceback = ["%s%s%s: %s" % (RED, ename, RESET, evalue)]
    return cls(ename, evalue, traceback)


def funcx_error(ename, message):
    """An error of funcX itself (not of the user's code), as the extension's funcxErrorOutput."""
    return cell_error(ename, message)


class CellResult:
    """The cell's value: shown as the remote MIME bundle, as it came (`value` holds the JSON value if any)."""

    def __init__(self, result):
        self.data = dict(result.get("data") or {})
        self.value = result.get("value")

    def _repr_mimebundle_(self, include=None, exclude=None):
        return self.data, {}

    def __repr__(self):
        return str(self.data.get("text/plain", ""))


def result_output(result):
    """The CellResult to return, or None when there is nothing to show (no data, or only a `None`)."""
    if not result or not result.get("data"):
        return None
    data = result["data"]
    if list(data) == ["text/plain"] and data["text/plain"] == "None":
        return None
    return CellResult(result)


# What the extension says (extension/src/outputs.ts namespaceNote), once per notebook and after a NameError.
NAMESPACE_NOTE = ('Note: each %%funcx cell runs in a fresh namespace: names from other cells (and the kernel) are not '
                  'defined in it. "--session NAME" runs cells in one namespace that lasts; "-o NAME" keeps a cell\'s '
                  'value in the kernel.')


def show_namespace_note():
    from IPython.display import publish_display_data

    publish_display_data({"text/plain": NAMESPACE_NOTE}, {"funcx": {"note": "fresh-namespace"}})


def final_outcome(final):
    """(CellResult or None) for a success; raises the error output otherwise."""
    state = final.get("state")
    task_id = final.get("task_id")
    if state == "success":
        return result_output(final.get("result"))
    error = final.get("error")
    if error:
        traceback = clean_traceback(error.get("traceback") or [])
        raise cell_error(error.get("ename", "Error"), error.get("evalue", ""), traceback)
    if state == "cancelled":
        raise TaskCancelled("Task %s was cancelled." % task_id, task_id)
    raise funcx_error("TaskFailed", "Task %s failed without an error report." % task_id)


class OutputWriter:
    """Writes task outputs to the kernel as they arrive: a switch from one stream to the other flushes the
    first, so stdout and stderr keep their order."""

    def __init__(self):
        self._last_stream = None

    def write(self, output):
        kind = output.get("output_type")
        if kind == "stream":
            name = output.get("name")
            stream = sys.stderr if name == "stderr" else sys.stdout
            if self._last_stream is not None and self._last_stream is not stream:
                self._last_stream.flush()
            stream.write(output.get("text", ""))
            self._last_stream = stream
        elif kind == "display_data":
            self.flush()
            from IPython.display import publish_display_data

            publish_display_data(output.get("data") or {}, output.get("metadata") or {})

    def flush(self):
        if self._last_stream is not None:
            self._last_stream.flush()
            self._last_stream = None

    @staticmethod
    def clear():
        from IPython.display import clear_output

        clear_output()
