"""funcx.Executor against the real hub and endpoints sdk/test/ started."""

import concurrent.futures
import contextlib
import io
import os
import tempfile
import time
import unittest

import funcx
from funcx import runtime, source as sources
from helpers_remote import Point, fail, scale, sleep_then
from support import (ENDPOINT, OFFLINE_ENDPOINT, PLAIN_ENDPOINT, HubTestCase, can_control, client, control,
                     needs_hub, wait_until)

LIMIT = 3


def square(x):
    return x * x


def noop(_x=None):
    return None


def triple_with_helper(x):
    return square(x) + LIMIT


def divide(a, b):
    return a / b


def printing(n):
    for i in range(n):
        print("line", i, flush=True)
    return n


@needs_hub
class Submitting(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.client = client()
        cls.executor = funcx.Executor(ENDPOINT, client=cls.client)

    @classmethod
    def tearDownClass(cls):
        cls.executor.shutdown()
        cls.client.close()

    def test_submit_runs_a_function_and_its_future_knows_its_task(self):
        future = self.executor.submit(square, 7)
        self.assertIsInstance(future, concurrent.futures.Future)
        self.assertEqual(future.result(30), 49)
        record = self.client.get_task(future.task_id)
        self.assertEqual((record["state"], record["task_group"]), ("success", self.executor.task_group))

    def test_a_function_travels_with_the_helpers_and_constants_it_uses(self):
        self.assertEqual(self.executor.submit(triple_with_helper, 4).result(30), 19)

    def test_map_returns_results_in_order_and_chunksize_groups_calls(self):
        self.assertEqual(list(self.executor.map(square, range(1000))), [x * x for x in range(1000)])
        self.assertEqual(list(self.executor.map(divide, [1, 2, 3], [4, 8, 16], chunksize=2)), [0.25, 0.25, 0.1875])

    def test_map_with_a_timeout_raises_timeout_error_and_cancels_the_rest(self):
        with self.assertRaises(concurrent.futures.TimeoutError):
            list(self.executor.map(sleep_then, [30, 30], timeout=0.5))

    def test_values_json_cannot_carry_exactly_travel_pickled_both_ways(self):
        self.assertEqual(self.executor.submit(lambda pair: (pair, {1, 2}), (1, 2)).result(30), ((1, 2), {1, 2}))
        self.assertEqual(self.executor.submit(square, 1.5).result(30), 2.25)
        self.assertEqual(self.executor.submit(square, 2.0).result(30), 4.0)
        self.assertIs(type(self.executor.submit(square, 2.0).result(30)), float)
        self.assertEqual(self.executor.submit(square, 2 ** 40).result(30), 2 ** 80)
        self.assertEqual(self.executor.submit(dict, {1: "a"}).result(30), {1: "a"})

    def test_objects_of_a_local_module_travel_by_value(self):
        """Point and scale come from a file the endpoint does not have"""
        scaled = self.executor.submit(scale, Point(1, 2), 3).result(30)
        self.assertEqual((scaled.x, scaled.y), (3, 6))
        self.assertEqual(scaled.norm2(), 45)

    def test_a_remote_exception_is_raised_here_with_its_type_message_and_traceback(self):
        future = self.executor.submit(divide, 1, 0)
        with self.assertRaises(ZeroDivisionError) as caught:
            future.result(30)
        error = caught.exception
        self.assertIsInstance(error, funcx.TaskFailed)
        self.assertEqual(str(error), "division by zero")
        line = divide.__code__.co_firstlineno + 1
        self.assertIn('  File "%s", line %d, in divide' % (__file__, line), error.remote_traceback)
        self.assertNotIn("<funcx runtime>", "\n".join(error.remote_traceback))
        with self.assertRaises(ValueError):
            self.executor.submit(fail, "bad input").result(30)

    def test_what_a_task_prints_is_kept_on_its_future_and_echoed_with_stream_output(self):
        future = self.executor.submit(printing, 3)
        self.assertEqual(future.result(30), 3)
        self.assertEqual(future.stdout, "line 0\nline 1\nline 2\n")
        echoed = io.StringIO()
        with funcx.Executor(ENDPOINT, client=self.client, stream_output=True) as executor:
            with contextlib.redirect_stdout(echoed):
                executor.submit(printing, 2).result(30)
        self.assertEqual(echoed.getvalue(), "line 0\nline 1\n")

    def test_done_callbacks_and_as_completed_work_as_with_any_executor(self):
        seen = []
        future = self.executor.submit(square, 3)
        future.add_done_callback(lambda done: seen.append(done.result()))
        futures = [self.executor.submit(square, i) for i in range(20)]
        self.assertEqual(sorted(f.result() for f in concurrent.futures.as_completed(futures, timeout=30)),
                         sorted(i * i for i in range(20)))
        wait_until(lambda: seen, what="the done callback")
        self.assertEqual(seen, [9])

    def test_a_registered_function_takes_json_and_returns_what_the_worker_pickles(self):
        adder = self.client.register_function("def add(a, b):\n    return a + b\n")
        self.assertEqual(self.executor.submit_to_registered_function(adder, [2, 3]).result(30), 5)
        sets = self.client.register_function("def make():\n    return {1, 2}\n")
        self.assertEqual(self.executor.submit_to_registered_function(sets).result(30), {1, 2})
        with self.assertRaises(TypeError):
            self.executor.submit_to_registered_function(adder, [{1, 2}, 3])

    def test_register_function_registers_a_callable_once_per_client(self):
        first = self.executor.register_function(square)
        self.assertEqual(self.executor.register_function(square), first)
        self.assertEqual(self.client.get_function(first)["entrypoint"], "square")

    def test_an_endpoint_group_or_a_list_of_endpoints_is_routed_by_the_hub(self):
        name = "pair-%d" % time.time_ns()
        self.client.request("POST", "/v1/endpoint-groups", {"name": name, "endpoints": [ENDPOINT]})
        with funcx.Executor("group:" + name, client=self.client, policy="round-robin") as executor:
            futures = [executor.submit(square, i) for i in range(4)]
            self.assertEqual([f.result(30) for f in futures], [0, 1, 4, 9])
            routing = self.client.get_task(futures[0].task_id)["routing"]
            self.assertEqual((routing["policy"], routing["group"]), ("round-robin", "group:" + name))
        with funcx.Executor([ENDPOINT], client=self.client) as executor:
            self.assertEqual(list(executor.map(square, [5, 6])), [25, 36])
        with self.assertRaises(funcx.FuncxError):
            funcx.Executor("group:no-such-group", client=self.client)

    def test_a_task_timeout_stops_a_slow_task_on_its_endpoint(self):
        with funcx.Executor(ENDPOINT, client=self.client, timeout=1) as executor:
            error = executor.submit(sleep_then, 30).exception(30)
        self.assertIsInstance(error, funcx.TaskFailed)
        self.assertIn("timed out after 1 s", str(error))


@needs_hub
class Cancelling(unittest.TestCase):
    def setUp(self):
        self.client = client()

    def tearDown(self):
        self.client.close()

    def test_cancel_of_a_queued_task_cancels_it_at_the_hub(self):
        with funcx.Executor(OFFLINE_ENDPOINT, client=self.client) as executor:
            future = executor.submit(square, 2)
            wait_until(lambda: future.task_id, what="the task id")
            self.assertTrue(future.cancel())
            self.assertTrue(future.cancelled())
            self.assertEqual(self.client.get_task(future.task_id)["state"], "cancelled")
            with self.assertRaises(concurrent.futures.CancelledError):
                future.result(1)

    def test_cancel_of_a_running_task_stops_its_process(self):
        pid_file = os.path.join(tempfile.mkdtemp(), "pid")
        with funcx.Executor(ENDPOINT, client=self.client) as executor:
            future = executor.submit(sleep_then, 60, pid_file=pid_file)
            wait_until(future.running, 30, "the task to run")
            pid = int(wait_until(lambda: os.path.exists(pid_file) and open(pid_file).read(), what="its pid"))
            self.assertTrue(future.cancel())
            self.assertEqual(self.client.get_task(future.task_id)["state"], "cancelled")
            wait_until(lambda: not _alive(pid), 15, "the task's process to end")
            self.assertEqual(executor.submit(square, 3).result(30), 9)

    def test_cancel_before_the_task_is_submitted_never_runs_it(self):
        with funcx.Executor(OFFLINE_ENDPOINT, client=self.client) as executor:
            futures = [executor.submit(square, i) for i in range(50)]
            cancelled = [future.cancel() for future in futures]
        self.assertTrue(all(cancelled))
        for future in futures:
            if future.task_id is not None:
                self.assertEqual(self.client.get_task(future.task_id)["state"], "cancelled")

    def test_shutdown_waits_for_every_task_and_refuses_new_ones(self):
        executor = funcx.Executor(ENDPOINT, client=self.client)
        futures = [executor.submit(sleep_then, 0.3, i) for i in range(4)]
        executor.shutdown(wait=True)
        self.assertTrue(all(future.done() for future in futures))
        self.assertEqual([future.result() for future in futures], [0, 1, 2, 3])
        with self.assertRaises(RuntimeError):
            executor.submit(square, 1)

    def test_shutdown_with_cancel_futures_cancels_what_has_not_started(self):
        executor = funcx.Executor(OFFLINE_ENDPOINT, client=self.client)
        futures = [executor.submit(square, i) for i in range(5)]
        wait_until(lambda: all(future.task_id for future in futures), what="the task ids")
        executor.shutdown(wait=True, cancel_futures=True)
        self.assertTrue(all(future.cancelled() for future in futures))
        self.assertEqual({self.client.get_task(f.task_id)["state"] for f in futures}, {"cancelled"})


@needs_hub
class Reattaching(unittest.TestCase):
    def test_reload_tasks_reattaches_to_a_task_group_after_a_restart(self):
        """a new client and executor with the same task_group find finished and running tasks again"""
        group = "reload-%d" % time.time_ns()
        first = funcx.Executor(ENDPOINT, task_group=group)
        quick = [first.submit(square, i) for i in range(3)]
        slow = first.submit(sleep_then, 2, "slow")
        self.assertEqual([f.result(30) for f in quick], [0, 1, 4])
        slow_id = slow.task_id
        first.client.close()  # the kernel restarts: its client, stream and futures are gone

        again = funcx.Executor(ENDPOINT, task_group=group)
        futures = {future.task_id: future for future in again.reload_tasks()}
        self.assertEqual(set(futures), {f.task_id for f in quick} | {slow_id})
        self.assertEqual([futures[f.task_id].result(30) for f in quick], [0, 1, 4])
        self.assertEqual(futures[slow_id].result(30), "slow")
        again.shutdown()

    @unittest.skipUnless(can_control(), "needs the harness to restart the hub")
    def test_results_arrive_across_a_hub_restart(self):
        with funcx.Executor(ENDPOINT) as executor:
            futures = [executor.submit(sleep_then, 2, i) for i in range(3)]
            wait_until(lambda: all(f.task_id for f in futures), what="the task ids")
            control("restart-hub")
            self.assertEqual([f.result(60) for f in futures], [0, 1, 2])
            self.assertEqual(executor.submit(square, 5).result(30), 25)

    def test_a_batch_whose_answer_was_lost_is_sent_again_and_runs_once(self):
        """the hub takes the batch in but its answer never arrives; the sender sends it again with the same task
        ids, and the hub answers with the tasks it already made"""
        lossy = client()
        original = lossy.request
        answers = []

        def request(method, path, body=None, query=None):
            answer = original(method, path, body, query)
            if method == "POST" and path == "/v1/tasks/batch":
                answers.append(answer)
                if len(answers) == 1:
                    raise funcx.FuncxError("FUNCX_HUB_UNREACHABLE", "the answer was lost on its way")
            return answer

        lossy.request = request
        with funcx.Executor(ENDPOINT, client=lossy) as executor:
            future = executor.submit(printing, 1)
            self.assertEqual(future.result(30), 1)
            group = executor.task_group
        self.assertEqual(len(answers), 2)
        self.assertEqual(answers[0]["task_ids"], answers[1]["task_ids"])
        self.assertEqual([task["task_id"] for task in lossy.tasks(task_group=group)], [future.task_id])
        record = lossy.get_task(future.task_id)
        self.assertEqual("".join(output.get("text", "") for output in record["outputs"]), "line 0\n")
        lossy.close()

    def test_a_task_whose_final_event_never_comes_is_looked_up(self):
        """the stream drops every final event; the watchdog fetches the task's record instead"""
        lossy = client()
        tracker = lossy.tracker
        tracker.fallback_after_s = 0.5
        original = tracker.on_task_events
        tracker.on_task_events = lambda events: original([e for e in events if e["type"] != "final"])
        with funcx.Executor(ENDPOINT, client=lossy) as executor:
            started = time.monotonic()
            self.assertEqual(executor.submit(square, 6).result(30), 36)
            self.assertGreater(time.monotonic() - started, 0.4)
        lossy.close()


@needs_hub
class Mismatches(HubTestCase):

    @unittest.skipUnless(PLAIN_ENDPOINT, "needs an endpoint without cloudpickle")
    def test_an_endpoint_without_the_serializer_says_which_one_to_install(self):
        with funcx.Executor(PLAIN_ENDPOINT, client=self.client) as executor:
            self.assertEqual(executor.submit(square, 4).result(30), 16)
            self.assertEqual(executor.submit(divide, 1, 4).result(30), 0.25)
            self.assertEqual(executor.submit(tuple, [1, 2]).result(30), (1, 2))
            with self.assertRaises(funcx.SerializationError) as caught:
                executor.submit(lambda: 1).result(30)
        message = str(caught.exception)
        self.assertIn("cloudpickle", message)
        self.assertIn("install cloudpickle==%s" % runtime.serializer_version("cloudpickle"), message)

    def test_code_pickled_on_another_python_is_refused_naming_both_versions(self):
        spec = sources.describe_callable(lambda: 1, "cloudpickle")
        spec["envelope"]["python"] = "3.9.18"
        function_id = self.client.register_function(sources.entry_source(spec), name="from_3_9",
                                                    entrypoint=sources.entry_name(spec))
        with funcx.Executor(ENDPOINT, client=self.client) as executor:
            error = executor.submit_to_registered_function(function_id).exception(30)
        self.assertIsInstance(error, funcx.VersionMismatchError)
        self.assertIn("Python 3.9.18", str(error))
        self.assertIn("cannot run on Python 3.", str(error))


def _alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        with open("/proc/%d/stat" % pid) as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


if __name__ == "__main__":
    unittest.main()
