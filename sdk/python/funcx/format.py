"""Plain-text tables of endpoints and tasks (what %funcx prints), in the CLI's layout."""

import datetime
import time

TASK_STATES = ("received", "waiting-for-endpoint", "waiting-for-nodes", "waiting-for-launch", "running",
               "success", "failed", "cancelled")


def table(header, rows):
    widths = [max(len(str(row[i])) for row in [header] + rows) for i in range(len(header))]
    return "\n".join("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip()
                     for row in [header] + rows)


def duration(ms):
    if ms < 1:
        return "%.2f ms" % ms
    if ms < 1000:
        return "%.1f ms" % ms
    seconds = ms / 1000
    if seconds < 60:
        return "%.1f s" % seconds
    return "%d min %d s" % (seconds // 60, seconds % 60)


def ago(epoch_ms):
    if not epoch_ms:
        return "never"
    seconds = max(0, time.time() - epoch_ms / 1000)
    if seconds < 60:
        return "%d s ago" % seconds
    if seconds < 3600:
        return "%d min ago" % (seconds // 60)
    return "%d h ago" % (seconds // 3600)


def endpoint_table(views):
    from .magic import endpoint_status

    if not views:
        return "no endpoints yet: add one with `funcx-endpoint configure NAME` and start it"
    rows = []
    for view in views:
        status = view.get("status") or {}
        rows.append([view["name"], view["endpoint_id"], endpoint_status(view),
                     "%s/%s" % (status.get("workers_busy", 0), status.get("workers_total", 0)),
                     status.get("queued", 0), status.get("running", 0), ago(status.get("last_heartbeat")),
                     view.get("site") or ""])
    return table(["NAME", "ID", "STATUS", "WORKERS", "QUEUED", "RUNNING", "HEARTBEAT", "SITE"], rows)


def _iso(epoch_ms):
    moment = datetime.datetime.fromtimestamp(epoch_ms / 1000, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (moment.microsecond // 1000)


def task_text(record):
    stamps = record.get("timestamps") or {}
    lines = ["task      %s" % record["task_id"], "state     %s" % record["state"],
             "function  %s" % record.get("function_id"), "endpoint  %s" % record.get("endpoint_id"),
             "attempts  %s" % record.get("attempts", 0)]
    entered = sorted((stamps[state], state) for state in TASK_STATES if stamps.get(state) is not None)
    if len(entered) > 1 and record["state"] in ("success", "failed", "cancelled"):
        lines.append("total     %s" % duration(entered[-1][0] - entered[0][0]))
    rows = []
    for i, (at, state) in enumerate(entered):
        spent = duration(entered[i + 1][0] - at) if i + 1 < len(entered) else ""
        rows.append([state, _iso(at), spent])
    text = "\n".join(lines) + "\n\n" + table(["STATE", "ENTERED", "TIME IN STATE"], rows)
    error = record.get("error")
    if error:
        text += "\n\n" + "\n".join(error.get("traceback") or ["%s: %s" % (error.get("ename"), error.get("evalue"))])
    elif record.get("result"):
        text += "\n\nresult    %s" % (record["result"].get("data") or {}).get("text/plain", "")
    return text
