"""The IPython extension: `%%funcx [ENDPOINT | group:NAME | A,B] [--policy P] [--timeout S] [--session NAME]
[--async] [-o NAME] [--no-stream] [--shell]` runs the cell on an endpoint (or one the hub routes it to), and `%funcx` lists endpoints,
sets the default endpoint and session, and shows a task.

The cell's outputs are those JupyterLab's own %%funcx executor writes (funcx.cell_outputs): what it prints
streams in live, displays are re-displayed, the last expression is the cell's value, a remote exception is an
error output with its traceback. Ctrl-C (interrupting the kernel) cancels the task.
"""

import base64
import os
import pickle
import queue

from IPython.core.magic import Magics, cell_magic, line_magic, magics_class

from . import shell as shells
from .cell_line import (MagicError, describe_endpoints, endpoint_status, is_routed, parse_cell_line, session_name,
                        target)
from .cell_drain import CellDrain
from .cell_outputs import final_outcome, funcx_error, show_namespace_note
from .client import Client
from .errors import FuncxError, ShellCommandFailed
from .tracker import OutputCursor, Watch, final_event

LINE_USAGE = """%funcx endpoints        the endpoints you can use, with their status
%funcx use [ENDPOINT]   the endpoint of %%funcx cells that name none (without ENDPOINT: show it)
%funcx session [NAME | --none]   the session of %%funcx cells that name none (without NAME: show it)
%funcx sessions         your sessions, with their endpoints and state
%funcx task TASK_ID     a task's state, when it entered each state, and its outcome
%funcx cancel TASK_ID   cancel a task
%%funcx ENDPOINT [--timeout S] [--session NAME] [-o NAME] [--no-stream] [--shell]   run the cell there
         (--session: in that session, seeing what its earlier cells defined; -o NAME: keep its value here as
         NAME; --shell: as a shell script)
         (ENDPOINT may be group:NAME or A,B: the hub routes the task, --policy NAME says how)"""
SHELL_TIMEOUT_MARGIN_S = 15.0


class CellWatch(Watch):
    """Hands one task's events to the kernel's main thread, which writes them into the cell."""

    def __init__(self):
        self.events = queue.Queue()
        self.cursor = OutputCursor()

    def on_event(self, event):
        if event["type"] == "output":
            self.cursor.saw(event["output"])
        self.events.put(event)

    def on_record(self, record):
        for output in self.cursor.unseen(record.get("outputs") or []):
            self.events.put({"type": "output", "task_id": record["task_id"], "output": output})
        if record.get("state") in ("success", "failed", "cancelled"):
            self.events.put(final_event(record))
        elif record.get("state"):
            self.events.put({"type": "state", "task_id": record["task_id"], "state": record["state"],
                             "streams": bool(record.get("streams"))})

    def on_lost(self, error):
        self.events.put({"type": "lost", "error": error})


@magics_class
class FuncxMagics(Magics):
    def __init__(self, shell):
        super().__init__(shell)
        self._client = None
        self.default_endpoint = os.environ.get("FUNCX_ENDPOINT") or None
        self.default_session = None
        self.told_fresh_namespace = False

    @property
    def client(self):
        if self._client is None:
            self._client = Client()
        return self._client

    # ---- %%funcx ----

    @cell_magic("funcx")
    def funcx_cell(self, line, cell):
        try:
            options = parse_cell_line(line)
        except MagicError as error:
            raise funcx_error("FuncxMagicError", str(error)) from None
        try:
            return self._run_cell(options, cell)
        except FuncxError as error:
            raise funcx_error(error.code, error.message) from None

    def _run_cell(self, options, cell):
        written = options.endpoint or self.default_endpoint
        if not written:
            raise funcx_error("NoEndpoint", 'This notebook has no default endpoint: name one ("%%%%funcx ENDPOINT") '
                              "or set one with %%funcx use ENDPOINT. %s" % describe_endpoints(self.client.endpoints()))
        # A group or a list of endpoints is routed at the hub, which says what is wrong with it (as in JupyterLab).
        view = None if is_routed(written) else self._endpoint_view(written)
        # The %%funcx line stays as a blank line: line N of what runs is line N of the cell, as in JupyterLab.
        task = self._submission(options, "\n" + cell, target(written))
        session = options.session or self.default_session
        if session is not None:
            task["session"] = session
        if options.output is not None:
            task["return_pickle"] = True
        return self._follow(options, task, view)

    def _endpoint_view(self, ref):
        try:
            return self.client.endpoint(ref)
        except FuncxError as error:
            if error.code != "FUNCX_ENDPOINT_NOT_FOUND":
                raise
            raise funcx_error("EndpointNotFound", 'No endpoint named "%s". %s' % (
                ref, describe_endpoints(self.client.endpoints()))) from None

    @staticmethod
    def _submission(options, cell, endpoint):
        if options.shell:
            kwargs = {"cmd": cell, "lines": 1000}
            task = {"source": shells.runner_source(), "entrypoint": shells.ENTRYPOINT, "endpoint": endpoint,
                    "kwargs": kwargs}
            if options.timeout_s is not None:
                kwargs["walltime"] = options.timeout_s
                task["timeout_s"] = options.timeout_s + SHELL_TIMEOUT_MARGIN_S
        else:
            task = {"source": cell, "endpoint": endpoint}
            if options.timeout_s is not None:
                task["timeout_s"] = options.timeout_s
        if options.policy is not None:
            task["policy"] = options.policy
        return task

    def _follow(self, options, task, view):
        tracker = self.client.tracker
        tracker.wait_connected(5.0)
        watch = CellWatch()
        tracker.early_state_watchers += 1
        try:
            epoch = tracker.begin_submit()
            try:
                task_id = self.client.request("POST", "/v1/tasks", task)["task_id"]
                tracker.attach([(task_id, watch)], epoch)
            finally:
                tracker.end_submit()
            final = CellDrain(self.client, task_id, watch, options, view, self._fresh_view).run()
        finally:
            tracker.early_state_watchers -= 1
        # Once per notebook, and again whenever a name is missing: a cell outside a session runs in a fresh
        # namespace (before the value or error, as JupyterLab's %%funcx shows it).
        error = final.get("error") or {}
        if "session" not in task and (not self.told_fresh_namespace or error.get("ename") == "NameError"):
            self.told_fresh_namespace = True
            show_namespace_note()
        if options.shell:
            return self._shell_outcome(final)
        outcome = final_outcome(final)
        if options.output is not None:
            self.shell.user_ns[options.output] = self._value_of(final.get("result") or {})
        return outcome

    def _value_of(self, result):
        """What -o NAME stores: the task's value unpickled when this Python can load it, else from JSON."""
        pickled = result.get("pickle")
        if pickled is not None and self.client.allow_pickle:
            try:
                return pickle.loads(base64.b64decode(pickled))
            except Exception:  # noqa: BLE001 - a pickle of another Python: the JSON value, when there is one
                if "value" not in result:
                    raise
        if "value" not in result and result.get("data", {}).get("text/plain") not in (None, "None"):
            raise funcx_error("FuncxStoreError", "the value of the task is neither JSON nor a pickle this Python "
                              "can load")
        return result.get("value")

    def _fresh_view(self, view):
        try:
            return self.client.endpoint(view["endpoint_id"])
        except FuncxError:
            return view

    @staticmethod
    def _shell_outcome(final):
        if final.get("state") == "success":
            value = (final.get("result") or {}).get("value") or {}
            returncode = value.get("returncode", 0) if isinstance(value, dict) else 0
            if returncode:
                raise ShellCommandFailed(returncode, value.get("cmd"))
            return None
        return final_outcome(final)

    # ---- %funcx ----

    @line_magic("funcx")
    def funcx_line(self, line):
        words = line.split()
        command = words[0] if words else "help"
        try:
            if command == "endpoints":
                print(self._endpoint_table())
            elif command == "use":
                return self._use(words[1] if len(words) > 1 else None)
            elif command == "session" and len(words) <= 2:
                return self._session(words[1] if len(words) > 1 else None)
            elif command == "sessions":
                print(self._sessions_text())
            elif command == "task" and len(words) == 2:
                print(self._task_text(words[1]))
            elif command == "cancel" and len(words) == 2:
                print("task %s: %s" % (words[1], self.client.cancel(words[1])))
            else:
                print(LINE_USAGE)
                if self.default_endpoint:
                    print("\ndefault endpoint: %s" % self.default_endpoint)
        except FuncxError as error:
            raise funcx_error(error.code, error.message) from None
        return None

    def _session(self, name):
        if name is None:
            print("default session: %s" % (self.default_session or "none: each cell runs in a fresh namespace "
                                            "(%funcx session NAME sets one)"))
            return None
        if name == "--none":
            self.default_session = None
            print("%%funcx cells without --session now run in a fresh namespace each")
            return None
        try:
            self.default_session = session_name(name)
        except MagicError as error:
            raise funcx_error("FuncxMagicError", str(error)) from None
        print("%%%%funcx cells without --session now run in session %s: each sees what the ones before defined"
              % name)
        return None

    def _sessions_text(self):
        sessions = self.client.sessions()
        if not sessions:
            return "no sessions: a %%funcx cell with --session NAME starts one"
        lines = ["%-20s %-20s %-10s %s" % ("NAME", "ENDPOINT", "STATE", "TASKS")]
        for session in sessions:
            state = session["state"] + (" (restarted: %s)" % session["restarted"] if session.get("restarted") else "")
            lines.append("%-20s %-20s %-10s %d" % (session["name"], session["endpoint"], state, session["tasks"]))
        return "\n".join(lines)

    def _use(self, ref):
        if ref is None:
            print("default endpoint: %s" % (self.default_endpoint or "none (%funcx use ENDPOINT sets one)"))
            return None
        if is_routed(ref):
            self.client.check_target(target(ref))
            where = "where the hub routes them (%s)" % ref
        else:
            where = "%s (%s)" % (ref, endpoint_status(self._endpoint_view(ref)))
        self.default_endpoint = ref
        print("%%%%funcx cells without an endpoint now run on %s" % where)
        return None

    def _endpoint_table(self):
        from .format import endpoint_table

        return endpoint_table(self.client.endpoints())

    def _task_text(self, task_id):
        from .format import task_text

        return task_text(self.client.get_task(task_id))


def load(ipython):
    ipython.register_magics(FuncxMagics)


def unload(ipython):
    magics = ipython.magics_manager.magics
    for kind in ("line", "cell"):
        magics[kind].pop("funcx", None)
