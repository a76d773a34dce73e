"""What the SDK's tests share: the real hub and endpoints sdk/test/ started for them (in the environment), and
a way to ask that harness to restart the hub or stop an endpoint mid-test."""

import json
import os
import sys
import time
import unittest

import funcx

CONTROL_PREFIX = "@@funcx-test-control@@ "

HUB_URL = os.environ.get("FUNCX_HUB_URL")
TOKEN = os.environ.get("FUNCX_TOKEN")
# An endpoint whose workers run the project's Python (matplotlib, cloudpickle, dill).
ENDPOINT = os.environ.get("FUNCX_TEST_ENDPOINT")
# An endpoint whose workers run a Python without cloudpickle or dill.
PLAIN_ENDPOINT = os.environ.get("FUNCX_TEST_PLAIN_ENDPOINT")
# An endpoint that is configured but never started: its tasks stay queued.
OFFLINE_ENDPOINT = os.environ.get("FUNCX_TEST_OFFLINE_ENDPOINT")
# Another user of the same hub.
OTHER_TOKEN = os.environ.get("FUNCX_TEST_OTHER_TOKEN")
# A second hub that allows one submission a second, with an endpoint that is never started.
LIMITED_HUB_URL = os.environ.get("FUNCX_TEST_LIMITED_HUB_URL")
LIMITED_TOKEN = os.environ.get("FUNCX_TEST_LIMITED_TOKEN")
LIMITED_ENDPOINT = os.environ.get("FUNCX_TEST_LIMITED_ENDPOINT")


def needs_hub(cls):
    """Skips a TestCase unless sdk/test/ started a hub and endpoint for it."""
    return unittest.skipUnless(HUB_URL and TOKEN and ENDPOINT, "needs the hub and endpoints sdk/test/ starts")(cls)


def control(command, **arguments):
    """Asks the harness (sdk/test/support) to act on the processes, e.g. control("restart-hub"); returns its
    answer once it has."""
    sys.stdout.write(CONTROL_PREFIX + json.dumps(dict(arguments, command=command)) + "\n")
    sys.stdout.flush()
    answer = json.loads(sys.stdin.readline() or "{}")
    if answer.get("error"):
        raise RuntimeError("the harness could not %s: %s" % (command, answer["error"]))
    return answer


def can_control():
    return os.environ.get("FUNCX_TEST_CONTROL") == "1"


def wait_until(predicate, timeout=15.0, what="the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out after %g s waiting for %s" % (timeout, what))


def build_wasm_examples():
    """Builds examples/wasm (scripts/build-wasm.sh) and returns the folder of the modules; fails, naming the packages
    to install, when the compilers are missing."""
    import subprocess
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
    built = subprocess.run([os.path.join(root, "scripts", "build-wasm.sh")], capture_output=True, text=True, timeout=120)
    if built.returncode != 0:
        raise AssertionError("the WebAssembly examples could not be built: " + built.stderr.strip())
    return built.stdout.strip()


def client(**options):
    return funcx.Client(HUB_URL, TOKEN, **options)


class HubTestCase(unittest.TestCase):
    """A TestCase with a Client of the test hub in `self.client`, shared by its tests."""

    @classmethod
    def setUpClass(cls):
        cls.client = client()

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
