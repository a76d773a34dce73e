"""One rank of an MPI task (python3 funcx_mpi_rank.py TASK_FILE OUT_DIR), started by the block's MPI launcher:
runs the task's function and writes what it returned, or raised, to OUT_DIR/rank-R.json, R being the rank the
launcher gave this process. What it prints goes to the launcher's output, which the manager streams to the task."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from funcx_display import format_error  # noqa: E402
from funcx_results import result_of  # noqa: E402
from funcx_worker import Function  # noqa: E402

RANK_VARIABLES = ("OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID")
VALUE_DEPTH = 60


def rank():
    for name in RANK_VARIABLES:
        value = os.environ.get(name, "")
        if value.isdigit():
            return int(value)
    return 0


def run(task):
    function = Function(task["function_id"], task["source"], task.get("entrypoint"))
    if function.error is not None:
        return {"error": function.error}
    try:
        namespace = {"__name__": "__main__"}
        exec(function.body, namespace)
        if function.entrypoint:
            value = namespace[function.entrypoint](*task.get("args", []), **task.get("kwargs", {}))
        else:
            value = eval(function.last_expr, namespace) if function.last_expr is not None else None
    except BaseException as exc:  # noqa: B902 - the user's SystemExit is the task's error too
        return {"error": format_error(exc)}
    result, _ = result_of(value, False, VALUE_DEPTH)
    return {"result": result}


def whole_lines(stream):
    """PYTHONUNBUFFERED writes each piece of a print on its own, so the launcher, reading every rank at once, could
    splice one rank's words into another's line: buffer until each newline instead, and write a line at once."""
    stream.reconfigure(line_buffering=True, write_through=False)


def main(task_path, out_dir):
    whole_lines(sys.stdout)
    whole_lines(sys.stderr)
    with open(task_path, encoding="utf-8") as stream:
        task = json.load(stream)
    reply = run(task)
    sys.stdout.flush()
    sys.stderr.flush()
    path = os.path.join(out_dir, "rank-%d.json" % rank())
    with open(path + ".tmp", "w", encoding="utf-8") as stream:
        json.dump(reply, stream)
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
