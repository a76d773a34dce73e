"""Flows from Python: deploy a definition (or name a flow that exists), start runs, follow them to their end.

    flow = Flow({"StartAt": "square", "States": {...}}, title="square")
    run = flow.run({"args": [9]})
    print(run.result(timeout=60))         # the run's output, or FlowRunFailed with the state's error
"""

import json
import re
import time
import urllib.parse

from .client import Client

FINISHED = ("SUCCEEDED", "FAILED", "CANCELLED")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# Polling a run: the first look soon, then less often, never less than every few seconds.
_FIRST_POLL_S = 0.1
_MAX_POLL_S = 2.0


class FlowRunFailed(Exception):
    """A run that ended FAILED (or CANCELLED): `error` is {Error, Cause, Details?} as the failing state saw it."""

    def __init__(self, run_id, status, error):
        self.run_id = run_id
        self.status = status
        self.error = error or {}
        if status == "CANCELLED":
            message = "flow run %s was cancelled" % run_id
        else:
            message = "flow run %s failed: %s: %s" % (run_id, self.error.get("Error", "?"), self.error.get("Cause", ""))
        super().__init__(message)


class FlowRun:
    """One run of a flow: `status()` reads it (states, events), `wait()` until it ends, `result()` its output."""

    def __init__(self, run_id, client=None):
        self.run_id = run_id
        self.client = client if client is not None else Client()

    def __repr__(self):
        return "FlowRun(%r)" % self.run_id

    def status(self):
        """The run as the hub has it: status, input, output or error, each state's status, the event log."""
        return self.client.request("GET", "/v1/flow-runs/" + urllib.parse.quote(self.run_id, safe=""))

    def wait(self, timeout=None):
        """Waits until the run ends (SUCCEEDED, FAILED or CANCELLED) and returns its view; TimeoutError after
        `timeout` seconds (the run goes on)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = _FIRST_POLL_S
        while True:
            view = self.status()
            if view["status"] in FINISHED:
                return view
            if deadline is not None and time.monotonic() + delay > deadline:
                raise TimeoutError("flow run %s is still %s after %s s" % (self.run_id, view["status"], timeout))
            time.sleep(delay)
            delay = min(delay * 2, _MAX_POLL_S)

    def result(self, timeout=None):
        """The run's output once it succeeds; FlowRunFailed when it fails or is cancelled."""
        view = self.wait(timeout)
        if view["status"] != "SUCCEEDED":
            raise FlowRunFailed(self.run_id, view["status"], view.get("error"))
        return view.get("output")

    def cancel(self):
        """Cancels the run (its running action too); returns its status. FuncxError FUNCX_FLOW_RUN_FINISHED
        once it has ended."""
        return self.client.request("POST", "/v1/flow-runs/%s/cancel" % urllib.parse.quote(self.run_id, safe=""))["status"]


class Flow:
    """A flow at the hub. `Flow(definition, title=…)` deploys a definition (a dict, or JSON text); `Flow(flow_id)`
    is one that exists (yours, shared with you, or public). A definition with problems is refused with
    FuncxError FUNCX_FLOW_INVALID, whose message names each state and field at fault."""

    def __init__(self, definition_or_id, *, title=None, description=None, public=False, client=None):
        self.client = client if client is not None else Client()
        if isinstance(definition_or_id, str) and _UUID.match(definition_or_id):
            self.flow_id = definition_or_id
            return
        definition = json.loads(definition_or_id) if isinstance(definition_or_id, str) else definition_or_id
        upload = {"definition": definition, "public": bool(public)}
        if title is not None:
            upload["title"] = title
        if description is not None:
            upload["description"] = description
        self.flow_id = self.client.request("POST", "/v1/flows", upload)["flow_id"]

    def __repr__(self):
        return "Flow(%r)" % self.flow_id

    def record(self):
        """The flow as the hub has it: title, definition, sharing."""
        return self.client.request("GET", "/v1/flows/" + self.flow_id)

    def run(self, input=None, label=None):  # noqa: A002 - the name the flow language uses
        """Starts a run with this input (a JSON value); returns its FlowRun at once."""
        body = {}
        if input is not None:
            body["input"] = input
        if label is not None:
            body["label"] = label
        return FlowRun(self.client.request("POST", "/v1/flows/%s/run" % self.flow_id, body)["run_id"], self.client)

    def runs(self, status=None):
        """This flow's runs, newest first (summaries: status, label, times)."""
        cursor = None
        while True:
            page = self.client.request("GET", "/v1/flow-runs", query={
                "flow_id": self.flow_id, "status": status, "cursor": cursor})
            for run in page["runs"]:
                yield run
            cursor = page.get("next_cursor")
            if not cursor:
                return
