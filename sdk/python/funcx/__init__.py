"""funcX for Jupyter from Python: Client (the hub's REST API), Executor (a concurrent.futures.Executor on an
endpoint), ShellFunction, Flow (durable chains of actions), and the IPython extension (`%load_ext funcx`: the
%%funcx and %funcx magics)."""

from . import store
from .client import Client
from .errors import (
    FuncxError,
    SerializationError,
    ShellCommandFailed,
    TaskCancelled,
    TaskFailed,
    TaskPending,
    VersionMismatchError,
)
from .executor import Executor
from .flows import Flow, FlowRun, FlowRunFailed
from .futures import TaskFuture
from .shell import ShellFunction, ShellResult
from .store import DataReference, inputs

__version__ = "0.1.0"

__all__ = [
    "Client",
    "DataReference",
    "Executor",
    "Flow",
    "FlowRun",
    "FlowRunFailed",
    "FuncxError",
    "SerializationError",
    "ShellCommandFailed",
    "ShellFunction",
    "ShellResult",
    "TaskCancelled",
    "TaskFailed",
    "TaskFuture",
    "TaskPending",
    "VersionMismatchError",
    "inputs",
    "store",
    "load_ipython_extension",
    "unload_ipython_extension",
]


def load_ipython_extension(ipython):
    """`%load_ext funcx`: registers %%funcx and %funcx (the project's kernel loads it at start)."""
    from .magic import load

    load(ipython)


def unload_ipython_extension(ipython):
    from .magic import unload

    unload(ipython)
