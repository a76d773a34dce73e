"""Runs the SDK's tests and writes one JSON line per test to $FUNCX_TEST_RESULTS (sdk/test/ reads them, so each
Python test is reported as a test of its own). Without that variable it is a plain verbose unittest run.

    python tests/run.py [MODULE...]      (MODULE: test_executor, …; default: every tests/test_*.py)
"""

import json
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


class JsonLinesResult(unittest.TextTestResult):
    def startTest(self, test):
        self._started = time.monotonic()
        super().startTest(test)

    def _record(self, test, status, detail=""):
        path = os.environ.get("FUNCX_TEST_RESULTS")
        if not path:
            return
        method = getattr(test, "_testMethodName", test.id().rsplit(".", 1)[-1])
        name = method[5:].replace("_", " ") if method.startswith("test_") else method
        line = {"id": test.id(), "module": test.__class__.__module__, "name": name,
                "doc": test.shortDescription() or "", "status": status, "detail": detail,
                "duration_ms": round((time.monotonic() - getattr(self, "_started", time.monotonic())) * 1000)}
        with open(path, "a", encoding="utf-8") as file:
            file.write(json.dumps(line) + "\n")

    def addSuccess(self, test):
        super().addSuccess(test)
        self._record(test, "pass")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._record(test, "fail", self._exc_info_to_string(err, test))

    def addError(self, test, err):
        super().addError(test, err)
        self._record(test, "fail", self._exc_info_to_string(err, test))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._record(test, "skip", reason)

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._record(test, "pass")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._record(test, "fail", "unexpected success")


def main(argv):
    sys.path.insert(0, HERE)
    loader = unittest.TestLoader()
    suite = loader.loadTestsFromNames(argv) if argv else loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    runner = unittest.TextTestRunner(resultclass=JsonLinesResult, verbosity=2, stream=sys.stderr)
    result = runner.run(suite)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
