"""A finished task as Python: its value (JSON, an envelope from the runtime, or the worker's pickle), or the
exception to raise (the remote one, named and typed like it, with its traceback)."""

import base64
import pickle

from . import runtime, store
from .errors import SerializationError, TaskCancelled, TaskFailed, remote_exception

# Frames of the code that carried the user's function, left out of the tracebacks users see: the runtime's, and
# (for an Executor's tasks) the generated entry's module-level code.
_CARRIER_FILES = ('  File "<funcx runtime>"',)
_ENTRY_FILE_PREFIX = '  File "<function '


def clean_traceback(lines, entry=False):
    """The remote traceback without the frames of funcx's own runtime (and, for an Executor's task, of the
    generated entry): what remains is the user's code, at its own line numbers."""
    kept = []
    skipping = False
    for line in lines:
        for piece in line.split("\n") if "\n" in line else (line,):
            if piece.startswith('  File "'):
                skipping = piece.startswith(_CARRIER_FILES) or (
                    entry and piece.startswith(_ENTRY_FILE_PREFIX) and piece.endswith(", in <module>"))
                if skipping:
                    continue
            elif skipping and piece.startswith("    "):
                continue
            else:
                skipping = False
            kept.append(piece)
    return kept


def task_exception(task_id, state, error, entry=False):
    """The exception a failed or cancelled task raises here."""
    if state == "cancelled":
        return TaskCancelled("Task %s was cancelled." % task_id, task_id)
    if not error:
        return TaskFailed("TaskFailed", "Task %s failed without an error report." % task_id, [], task_id)
    traceback = clean_traceback(error.get("traceback") or [], entry)
    ename = error.get("ename") or "RemoteError"
    evalue = error.get("evalue") or ""
    return remote_exception(ename, evalue, traceback or ["%s: %s" % (ename, evalue)], task_id)


def task_value(task_id, result, allow_pickle=True, prefer_pickle=True):
    """The value of a successful task's result."""
    result = result or {}
    if prefer_pickle and result.get("pickle"):
        if not allow_pickle:
            raise SerializationError("task %s returned a pickled value, and this client does not load pickles "
                                     "(allow_pickle=False)" % task_id)
        try:
            return pickle.loads(base64.b64decode(result["pickle"]))
        except Exception as error:  # noqa: BLE001 - say which task's value did not load
            raise SerializationError("the value of task %s could not be unpickled: %s: %s" % (
                task_id, type(error).__name__, error)) from None
    if "value" in result:
        value = result["value"]
        if type(value) is dict and runtime.ENVELOPE_KEY in value:
            if not allow_pickle:
                raise SerializationError("task %s returned a pickled value, and this client does not load pickles "
                                         "(allow_pickle=False)" % task_id)
            return runtime.from_wire(value, "the value of task %s" % task_id)
        return store.wrap(value)
    text = (result.get("data") or {}).get("text/plain", "")
    raise SerializationError(
        "the value of task %s is neither JSON nor pickled (its repr: %s): submit it with return_pickle=True, or "
        "through funcx.Executor" % (task_id, text if len(text) <= 200 else text[:200] + "…"))


def outcome(task_id, final, allow_pickle=True, entry=False):
    """(value, None) for a successful final event or record, (None, exception) otherwise."""
    state = final.get("state")
    if state == "success":
        try:
            return task_value(task_id, final.get("result"), allow_pickle, prefer_pickle=not entry), None
        except SerializationError as error:
            return None, error
    return None, task_exception(task_id, state, final.get("error"), entry)
