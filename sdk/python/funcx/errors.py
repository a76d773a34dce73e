"""Every error the SDK raises: the hub's errors with their codes, and remote exceptions re-raised here."""

import builtins
import concurrent.futures

from .runtime import SerializationError, VersionMismatchError  # noqa: F401 - raised on both sides

# The HTTP status of the errors the SDK reports on the hub's behalf (protocol/src/errors.ts has the rest).
HUB_UNREACHABLE = "FUNCX_HUB_UNREACHABLE"


class FuncxError(Exception):
    """An error the hub reported: `code` (FUNCX_…), `status` (HTTP) and a message that says what to change."""

    def __init__(self, code, message, status=None, retry_after_s=None):
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message
        self.retry_after_s = retry_after_s

    def __str__(self):
        return "%s [%s]" % (self.message, self.code)

    def __reduce__(self):
        return (type(self), (self.code, self.message, self.status, self.retry_after_s))


class TaskPending(Exception):
    """The task has not finished yet (`state` says where it is)."""

    def __init__(self, task_id, state):
        super().__init__("task %s has not finished: it is %s" % (task_id, state))
        self.task_id = task_id
        self.state = state


class TaskCancelled(concurrent.futures.CancelledError):
    """The task was cancelled (by you, by Ctrl-C, or with `funcx cancel`)."""

    def __init__(self, message, task_id=None):
        super().__init__(message)
        self.task_id = task_id
        self.ename = "TaskCancelled"
        self.evalue = message
        self.remote_traceback = ["\x1b[0;31mTaskCancelled\x1b[0m: %s" % message]

    def _render_traceback_(self):
        return self.remote_traceback


class ShellCommandFailed(Exception):
    """A `%%funcx --shell` cell whose command exited with a non-zero return code."""

    def __init__(self, returncode, cmd):
        super().__init__("the command exited with return code %d" % returncode)
        self.returncode = returncode
        self.cmd = cmd

    def _render_traceback_(self):
        return ["\x1b[0;31mShellCommandFailed\x1b[0m: %s" % self]


class TaskFailed(Exception):
    """An exception raised by the task on its endpoint.

    Raised as a subclass of both TaskFailed and the remote exception's built-in type when there is one
    (`except ZeroDivisionError` works), named like the remote type; `str()` is the remote message, and
    `remote_traceback` the remote traceback (what IPython shows, with your own line numbers).
    """

    def __new__(cls, ename, evalue, remote_traceback, task_id=None):
        # One argument, as every built-in exception type accepts (OSError's own __new__ parses its arguments).
        return super().__new__(cls, evalue)

    def __init__(self, ename, evalue, remote_traceback, task_id=None):
        BaseException.__init__(self, evalue)
        self.ename = ename
        self.evalue = evalue
        self.remote_traceback = list(remote_traceback)
        self.task_id = task_id
        if hasattr(self, "add_note") and self.remote_traceback:
            self.add_note("Remote traceback (task %s):\n%s" % (task_id, "\n".join(self.remote_traceback)))

    def __str__(self):
        return self.evalue

    def _render_traceback_(self):
        return self.remote_traceback or ["%s: %s" % (self.ename, self.evalue)]

    def __reduce__(self):
        return (remote_exception, (self.ename, self.evalue, self.remote_traceback, self.task_id))


_FUNCX_BASES = {
    "SerializationError": SerializationError,
    "VersionMismatchError": VersionMismatchError,
    "TaskCancelled": concurrent.futures.CancelledError,
}
_classes = {}


def _remote_class(ename):
    cls = _classes.get(ename)
    if cls is not None:
        return cls
    base = _FUNCX_BASES.get(ename) or getattr(builtins, ename, None)
    bases = (TaskFailed,)
    # Only Exception subclasses: a remote SystemExit or KeyboardInterrupt must not stop this process.
    if isinstance(base, type) and issubclass(base, Exception) and not issubclass(base, TaskFailed):
        bases = (TaskFailed, base)
    try:
        cls = type(ename, bases, {"__module__": "funcx.remote"})
    except TypeError:  # a layout that does not combine
        cls = type(ename, (TaskFailed,), {"__module__": "funcx.remote"})
    _classes[ename] = cls
    return cls


def remote_exception(ename, evalue, remote_traceback, task_id=None):
    """The exception to raise for a task's error: named and typed like the remote one."""
    name = ename if isinstance(ename, str) and ename.isidentifier() else "RemoteError"
    cls = _remote_class(name)
    try:
        return cls(ename, evalue, remote_traceback, task_id)
    except Exception:  # noqa: BLE001 - a built-in whose constructor wants other arguments
        return _remote_class("RemoteError")(ename, evalue, remote_traceback, task_id)
