"""A finished task as Python: values, remote exceptions and their tracebacks (funcx.values, no hub)."""

import concurrent.futures
import unittest

import funcx
from funcx import runtime
from funcx.values import clean_traceback, outcome, task_exception

REMOTE_TRACEBACK = [
    "Traceback (most recent call last):",
    '  File "<funcx runtime>", line 230, in entry',
    '  File "<funcx runtime>", line 190, in _call',
    '  File "/home/ada/analysis.py", line 12, in mean',
    "    return sum(xs) / len(xs)",
    "           ~~~~~~~~^~~~~~~~~",
    "ZeroDivisionError: division by zero",
]


class RemoteExceptions(unittest.TestCase):
    def test_a_remote_builtin_exception_is_raised_as_that_type_with_its_message_and_traceback(self):
        error = task_exception("t1", "failed", {"ename": "ZeroDivisionError", "evalue": "division by zero",
                                                "traceback": REMOTE_TRACEBACK}, entry=True)
        self.assertIsInstance(error, ZeroDivisionError)
        self.assertIsInstance(error, funcx.TaskFailed)
        self.assertEqual(type(error).__name__, "ZeroDivisionError")
        self.assertEqual(str(error), "division by zero")
        self.assertEqual(error.task_id, "t1")
        self.assertEqual(error.remote_traceback[1], '  File "/home/ada/analysis.py", line 12, in mean')
        self.assertNotIn("<funcx runtime>", "\n".join(error._render_traceback_()))

    def test_exceptions_whose_constructors_differ_keep_their_message(self):
        for ename in ("KeyError", "OSError", "UnicodeDecodeError", "FileNotFoundError"):
            error = task_exception("t", "failed", {"ename": ename, "evalue": "the message", "traceback": []})
            self.assertEqual(str(error), "the message", ename)
            self.assertEqual(type(error).__name__, ename)

    def test_a_remote_system_exit_does_not_stop_this_process(self):
        error = task_exception("t", "failed", {"ename": "SystemExit", "evalue": "3", "traceback": []})
        self.assertNotIsInstance(error, SystemExit)
        self.assertIsInstance(error, funcx.TaskFailed)

    def test_a_user_defined_remote_exception_is_a_task_failed_of_that_name(self):
        error = task_exception("t", "failed", {"ename": "CalibrationError", "evalue": "drift", "traceback": []})
        self.assertEqual(type(error).__name__, "CalibrationError")
        self.assertEqual(error.remote_traceback, ["CalibrationError: drift"])

    def test_the_runtimes_own_errors_are_raised_as_the_sdks(self):
        error = task_exception("t", "failed", {"ename": "VersionMismatchError", "evalue": "3.9 vs 3.11",
                                               "traceback": []})
        self.assertIsInstance(error, funcx.VersionMismatchError)

    def test_cancelled_and_unexplained_failures(self):
        cancelled = task_exception("t9", "cancelled", None)
        self.assertIsInstance(cancelled, concurrent.futures.CancelledError)
        self.assertEqual(cancelled._render_traceback_(), ["\x1b[0;31mTaskCancelled\x1b[0m: Task t9 was cancelled."])
        self.assertEqual(str(task_exception("t9", "failed", None)), "Task t9 failed without an error report.")

    def test_only_the_generated_entrys_module_frames_are_left_out_of_registered_functions(self):
        lines = ['  File "<function mean>", line 3, in <module>', "    x", '  File "<function mean>", line 2, in mean',
                 "    return 1 / 0"]
        self.assertEqual(clean_traceback(lines, entry=True), lines[2:])
        self.assertEqual(clean_traceback(lines, entry=False), lines)


class Values(unittest.TestCase):
    def test_json_values_envelopes_and_worker_pickles(self):
        self.assertEqual(outcome("t", {"state": "success", "result": {"value": [1, 2], "data": {}}}), ([1, 2], None))
        wire = dict(runtime.to_wire((1, 2), "pickle"))
        self.assertEqual(outcome("t", {"state": "success", "result": {"value": wire}}, entry=True), ((1, 2), None))
        import base64
        import pickle
        worker_pickle = base64.b64encode(pickle.dumps({3})).decode()
        self.assertEqual(outcome("t", {"state": "success", "result": {"value": [3], "pickle": worker_pickle}})[0], {3})

    def test_a_value_neither_json_nor_pickled_is_an_error_that_shows_its_repr(self):
        value, error = outcome("t", {"state": "success", "result": {"data": {"text/plain": "<Gadget 7>"}}})
        self.assertIsInstance(error, funcx.SerializationError)
        self.assertIn("<Gadget 7>", str(error))
        self.assertIn("return_pickle=True", str(error))

    def test_allow_pickle_false_refuses_pickled_values(self):
        wire = dict(runtime.to_wire((1,), "pickle"))
        _, error = outcome("t", {"state": "success", "result": {"value": wire}}, allow_pickle=False, entry=True)
        self.assertIsInstance(error, funcx.SerializationError)


if __name__ == "__main__":
    unittest.main()
