"""funcx.Client against the real hub and endpoint sdk/test/ started."""

import os
import time
import unittest

import funcx
from support import ENDPOINT, HubTestCase, build_wasm_examples, needs_hub


@needs_hub
class ClientTasks(HubTestCase):

    def test_me_and_endpoints_name_the_user_and_the_endpoints_with_their_status(self):
        self.assertTrue(self.client.me())
        views = {view["name"]: view for view in self.client.endpoints()}
        self.assertTrue(views[ENDPOINT]["status"]["online"])
        self.assertEqual(self.client.endpoint(ENDPOINT)["endpoint_id"], views[ENDPOINT]["endpoint_id"])

    def test_a_registered_callable_runs_with_json_arguments_from_any_client(self):
        def add(a, b=0):
            return a + b

        function_id = self.client.register_function(add, description="adds")
        record = self.client.get_function(function_id)
        self.assertEqual((record["name"], record["entrypoint"]), ("add", "add"))
        self.assertIn(function_id, [fn["function_id"] for fn in self.client.functions()])
        task_id = self.client.run(function_id, endpoint=ENDPOINT, args=[2], kwargs={"b": 40})
        self.assertEqual(self.client.wait(task_id, 30), 42)
        self.assertEqual(self.client.get_result(task_id), 42)
        self.client.delete_function(function_id)

    def test_registered_source_with_one_function_is_called_and_other_source_runs_like_a_cell(self):
        called = self.client.register_function("def twice(x):\n    return 2 * x\n")
        self.assertEqual(self.client.get_function(called)["entrypoint"], "twice")
        cell = self.client.register_function("x = 20\nx + 1\n", name="cell")
        self.assertNotIn("entrypoint", self.client.get_function(cell))
        self.assertEqual(self.client.wait(self.client.run(called, endpoint=ENDPOINT, args=[21]), 30), 42)
        self.assertEqual(self.client.wait(self.client.run(cell, endpoint=ENDPOINT), 30), 21)

    def test_a_webassembly_module_runs_by_its_exported_function_and_a_broken_one_is_refused_with_why(self):
        function_id = self.client.register_wasm(os.path.join(build_wasm_examples(), "add.wasm"), entrypoint="add")
        self.assertEqual(self.client.get_function(function_id)["language"], "wasm")
        self.assertEqual(self.client.wait(self.client.run(function_id, endpoint=ENDPOINT, args=[2, 40]), 30), 42)
        with self.assertRaises(funcx.FuncxError) as caught:
            self.client.register_wasm(b"(module)", name="broken")
        self.assertEqual(caught.exception.code, "FUNCX_WASM_INVALID")
        self.assertIn("it does not validate", caught.exception.message)

    def test_get_result_of_an_unfinished_task_is_task_pending_then_its_value(self):
        task_id = self.client.run(source="import time\ntime.sleep(1)\n'done'", endpoint=ENDPOINT)
        with self.assertRaises(funcx.TaskPending) as caught:
            self.client.get_result(task_id)
        self.assertIn(caught.exception.state, ("received", "waiting-for-endpoint", "waiting-for-launch", "running"))
        self.assertEqual(self.client.wait(task_id, 30), "done")
        record = self.client.get_task(task_id)
        self.assertEqual(record["state"], "success")
        self.assertIn("running", record["timestamps"])

    def test_return_pickle_brings_back_values_json_cannot_carry(self):
        task_id = self.client.run(source="{1, 2}", endpoint=ENDPOINT, return_pickle=True)
        self.assertEqual(self.client.wait(task_id, 30), {1, 2})
        plain = self.client.run(source="object()", endpoint=ENDPOINT)
        with self.assertRaises(funcx.SerializationError) as caught:
            self.client.wait(plain, 30)
        self.assertIn("<object object at", str(caught.exception))

    def test_a_failed_task_raises_its_remote_exception(self):
        task_id = self.client.run(source="def f():\n    raise KeyError('missing')\nf()", endpoint=ENDPOINT)
        with self.assertRaises(KeyError) as caught:
            self.client.wait(task_id, 30)
        self.assertEqual(str(caught.exception), "'missing'")
        self.assertIn('  File "<cell>", line 2, in f', caught.exception.remote_traceback)

    def test_get_batch_result_reads_hundreds_of_tasks_a_few_requests_at_a_time(self):
        ids = self.client.run_batch([{"source": "%d * 2" % i, "endpoint": ENDPOINT} for i in range(700)])
        self.assertEqual(len(ids), 700)
        deadline = time.monotonic() + 60
        while True:
            answers = self.client.get_batch_result(ids)
            if not any(answer["pending"] for answer in answers.values()) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual([answers[task_id].get("result") for task_id in ids], [2 * i for i in range(700)])
        self.assertEqual({answer["status"] for answer in answers.values()}, {"success"})

    def test_tasks_lists_a_task_group_across_pages(self):
        group = "group-%d" % time.time_ns()
        ids = self.client.run_batch([{"source": "1", "endpoint": ENDPOINT, "task_group": group} for _ in range(7)])
        listed = [task["task_id"] for task in self.client.tasks(task_group=group, page_size=3)]
        self.assertEqual(sorted(listed), sorted(ids))

    def test_cancel_stops_a_running_task_and_a_second_cancel_says_it_has_finished(self):
        task_id = self.client.run(source="import time\ntime.sleep(60)", endpoint=ENDPOINT)
        deadline = time.monotonic() + 30
        while self.client.get_task(task_id)["state"] != "running" and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.client.cancel(task_id), "cancelled")
        with self.assertRaises(funcx.TaskCancelled):
            self.client.get_result(task_id)
        with self.assertRaises(funcx.FuncxError) as caught:
            self.client.cancel(task_id)
        self.assertEqual((caught.exception.code, caught.exception.status), ("FUNCX_TASK_FINISHED", 409))


if __name__ == "__main__":
    unittest.main()
