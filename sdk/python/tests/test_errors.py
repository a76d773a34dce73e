"""Every FUNCX_* refusal the SDK meets arrives as a FuncxError with the hub's code, status and message."""

import time
import unittest
import uuid

import funcx
import os

from support import (ENDPOINT, HUB_URL, LIMITED_ENDPOINT, LIMITED_HUB_URL, LIMITED_TOKEN, OTHER_TOKEN, HubTestCase,
                     needs_hub)

RESTRICTED_ENDPOINT = os.environ.get("FUNCX_TEST_RESTRICTED_ENDPOINT")


@needs_hub
class HubErrors(HubTestCase):

    def assert_refused(self, code, status, call, *args, **kwargs):
        with self.assertRaises(funcx.FuncxError) as caught:
            call(*args, **kwargs)
        error = caught.exception
        self.assertEqual((error.code, error.status), (code, status), error)
        self.assertTrue(error.message)
        self.assertIn("[%s]" % code, str(error))
        return error

    def test_unauthorized_a_token_the_hub_does_not_know(self):
        self.assert_refused("FUNCX_UNAUTHORIZED", 401, funcx.Client(HUB_URL, "fxu_not-a-token").me)

    def test_unauthorized_no_credentials_at_all(self):
        saved = {key: os.environ.pop(key, None) for key in ("FUNCX_HUB_URL", "FUNCX_TOKEN", "FUNCX_HOME")}
        os.environ["FUNCX_HOME"] = "/nonexistent"
        try:
            error = self.assert_refused("FUNCX_UNAUTHORIZED", None, funcx.Client)
            self.assertIn("FUNCX_HUB_URL and FUNCX_TOKEN", error.message)
        finally:
            for key, value in saved.items():
                os.environ.pop(key, None)
                if value is not None:
                    os.environ[key] = value

    def test_bad_request_an_unknown_field_names_the_task(self):
        error = self.assert_refused("FUNCX_BAD_REQUEST", 400, self.client.run_batch,
                                    [{"source": "1", "endpoint": ENDPOINT}, {"source": "1", "endpoint": ENDPOINT,
                                                                            "colour": "red"}])
        self.assertIn("colour", error.message)

    def test_nested_too_deep_as_json_but_an_executor_sends_such_arguments_pickled(self):
        deep = 1
        for _ in range(70):
            deep = [deep]
        self.assert_refused("FUNCX_NESTED_TOO_DEEP", 400, self.client.run, source="1", endpoint=ENDPOINT, args=[deep])
        with funcx.Executor(ENDPOINT, client=self.client) as executor:
            self.assertEqual(executor.submit(depth, deep).result(30), 70)

    def test_forbidden_another_users_task(self):
        task_id = self.client.run(source="1", endpoint=ENDPOINT)
        other = funcx.Client(HUB_URL, OTHER_TOKEN)
        self.assert_refused("FUNCX_FORBIDDEN", 403, other.get_task, task_id)
        self.assert_refused("FUNCX_FORBIDDEN", 403, other.get_batch_result, [task_id])
        self.assert_refused("FUNCX_FORBIDDEN", 403, other.cancel, task_id)

    def test_function_not_permitted_on_an_endpoint_that_lists_its_functions(self):
        allowed = self.client.register_function("def ok():\n    return 1\n")
        self.client.request("PUT", "/v1/endpoints/%s/sharing" % RESTRICTED_ENDPOINT, {"allowed_functions": [allowed]})
        other = self.client.register_function("def other():\n    return 2\n")
        error = self.assert_refused("FUNCX_FUNCTION_NOT_PERMITTED", 403, self.client.run, other,
                                    endpoint=RESTRICTED_ENDPOINT)
        self.assertIn(RESTRICTED_ENDPOINT, error.message)
        self.assertTrue(self.client.run(allowed, endpoint=RESTRICTED_ENDPOINT))

    def test_not_found_functions_endpoints_tasks_and_routes(self):
        self.assert_refused("FUNCX_FUNCTION_NOT_FOUND", 404, self.client.run, str(uuid.uuid4()), endpoint=ENDPOINT)
        error = self.assert_refused("FUNCX_ENDPOINT_NOT_FOUND", 404, funcx.Executor, "nowhere", client=self.client)
        self.assertIn(ENDPOINT, error.message)
        self.assert_refused("FUNCX_TASK_NOT_FOUND", 404, self.client.get_task, str(uuid.uuid4()))
        self.assert_refused("FUNCX_TASK_NOT_FOUND", 404, self.client.get_batch_result, [str(uuid.uuid4())])
        self.assert_refused("FUNCX_ROUTE_NOT_FOUND", 404, self.client.request, "GET", "/v1/nothing-here")

    def test_task_finished_a_finished_tasks_cancel_and_its_futures_cancel_is_false(self):
        task_id = self.client.run(source="1", endpoint=ENDPOINT)
        self.client.wait(task_id, 30)
        self.assert_refused("FUNCX_TASK_FINISHED", 409, self.client.cancel, task_id)
        with funcx.Executor(ENDPOINT, client=self.client) as executor:
            future = executor.submit(depth, 1)
            future.result(30)
            self.assertFalse(future.cancel())

    def test_payload_too_large_fails_only_the_futures_of_that_request(self):
        with funcx.Executor(ENDPOINT, client=self.client) as executor:
            big = executor.submit(len, "x" * (11 * 1024 * 1024))
            small = executor.submit(len, "x")
            error = big.exception(60)
            self.assertIsInstance(error, funcx.FuncxError)
            self.assertEqual((error.code, error.status), ("FUNCX_PAYLOAD_TOO_LARGE", 413))
            self.assertEqual(small.result(30), 1)

    def test_uri_too_long_an_id_longer_than_any_id(self):
        self.assert_refused("FUNCX_URI_TOO_LONG", 414, self.client.get_task, "a" * 300)

    def test_hub_unreachable_names_the_url_tried(self):
        error = self.assert_refused("FUNCX_HUB_UNREACHABLE", 503, funcx.Client("http://127.0.0.1:9", "token").me)
        self.assertIn("http://127.0.0.1:9", error.message)
        self.assertIn("connection refused", error.message)

    @unittest.skipUnless(LIMITED_HUB_URL, "needs the rate-limited hub")
    def test_rate_limited_submissions_are_retried_after_the_hubs_wait(self):
        """a hub allowing 1 submission a second (bursts of 2): 5 submissions in a row all land, the later ones
        after waiting"""
        patient = funcx.Client(LIMITED_HUB_URL, LIMITED_TOKEN)
        started = time.monotonic()
        ids = [patient.run(source="1", endpoint=LIMITED_ENDPOINT) for _ in range(5)]
        self.assertEqual(len(set(ids)), 5)
        self.assertGreater(time.monotonic() - started, 1.5)

    @unittest.skipUnless(LIMITED_HUB_URL, "needs the rate-limited hub")
    def test_rate_limited_without_retries_is_the_hubs_error_with_its_wait(self):
        impatient = funcx.Client(LIMITED_HUB_URL, LIMITED_TOKEN, rate_limit_retries=0)
        with self.assertRaises(funcx.FuncxError) as caught:
            for _ in range(10):
                impatient.run(source="1", endpoint=LIMITED_ENDPOINT)
        error = caught.exception
        self.assertEqual((error.code, error.status), ("FUNCX_RATE_LIMITED", 429))
        self.assertGreater(error.retry_after_s, 0)


def depth(value):
    levels = 0
    while isinstance(value, list):
        value = value[0]
        levels += 1
    return levels


if __name__ == "__main__":
    unittest.main()
