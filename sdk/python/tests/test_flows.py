"""funcx.Flow against the real hub and endpoint sdk/test/ started: deploy, run to the end, fail, cancel."""

import unittest

import funcx
from support import ENDPOINT, HUB_URL, OTHER_TOKEN, client, needs_hub

SQUARE = "def square(x):\n    return x * x\n"


def square_then_decide():
    return {
        "StartAt": "square",
        "States": {
            "square": {
                "Type": "Action", "ActionUrl": "funcx",
                "Parameters": {"endpoint": ENDPOINT, "source": SQUARE, "entrypoint": "square", "args.$": "$.args"},
                "ResultPath": "$.square", "Next": "decide",
            },
            "decide": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.square.details.result", "NumericGreaterThan": 50, "Next": "big"}],
                "Default": "small",
            },
            "big": {"Type": "Pass", "Result": "big", "ResultPath": "$.verdict", "End": True},
            "small": {"Type": "Fail", "Error": "TooSmall", "Cause": "the square is 50 or less"},
        },
    }


@needs_hub
class Flows(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.client = client()
        cls.flow = funcx.Flow(square_then_decide(), title="square then decide", client=cls.client)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()

    def test_a_run_goes_through_a_function_on_the_endpoint_and_a_choice_to_its_output(self):
        run = self.flow.run({"args": [9]}, label="nine")
        output = run.result(timeout=60)
        self.assertEqual(output["square"]["details"]["result"], 81)
        self.assertEqual(output["verdict"], "big")
        view = run.status()
        self.assertEqual(view["status"], "SUCCEEDED")
        self.assertEqual(view["states"]["small"]["status"], "pending")
        self.assertIn(run.run_id, [summary["run_id"] for summary in self.flow.runs()])

    def test_a_run_that_reaches_a_fail_state_raises_its_error_and_cause(self):
        run = self.flow.run({"args": [3]})
        with self.assertRaises(funcx.FlowRunFailed) as raised:
            run.result(timeout=60)
        self.assertEqual(raised.exception.status, "FAILED")
        self.assertEqual(raised.exception.error["Error"], "TooSmall")
        self.assertIn("the square is 50 or less", str(raised.exception))

    def test_a_flow_that_exists_is_named_by_its_id(self):
        again = funcx.Flow(self.flow.flow_id, client=self.client)
        self.assertEqual(again.record()["title"], "square then decide")
        self.assertEqual(again.run({"args": [8]}).result(timeout=60)["verdict"], "big")

    def test_a_waiting_run_times_out_for_the_caller_and_is_cancelled(self):
        flow = funcx.Flow({"StartAt": "pause", "States": {"pause": {"Type": "Wait", "Seconds": 3600, "End": True}}},
                          client=self.client)
        run = flow.run()
        with self.assertRaises(TimeoutError):
            run.wait(timeout=0.3)
        run.cancel()
        self.assertEqual(run.wait(timeout=30)["status"], "CANCELLED")
        with self.assertRaises(funcx.FlowRunFailed) as raised:
            run.result()
        self.assertEqual(raised.exception.status, "CANCELLED")
        with self.assertRaises(funcx.FuncxError) as finished:
            run.cancel()
        self.assertEqual(finished.exception.code, "FUNCX_FLOW_RUN_FINISHED")

    def test_a_definition_with_problems_is_refused_naming_the_state_and_field(self):
        broken = {"StartAt": "first", "States": {"first": {"Type": "Pass", "Next": "nowhere"}}}
        with self.assertRaises(funcx.FuncxError) as raised:
            funcx.Flow(broken, client=self.client)
        self.assertEqual(raised.exception.code, "FUNCX_FLOW_INVALID")
        self.assertEqual(raised.exception.status, 400)
        self.assertIn("first", raised.exception.message)
        self.assertIn("nowhere", raised.exception.message)

    @unittest.skipUnless(OTHER_TOKEN, "needs a second user")
    def test_another_users_run_is_not_theirs_to_read(self):
        run = self.flow.run({"args": [10]})
        other = funcx.Client(HUB_URL, OTHER_TOKEN)
        with self.assertRaises(funcx.FuncxError) as raised:
            funcx.FlowRun(run.run_id, client=other).status()
        self.assertIn(raised.exception.code, ("FUNCX_FLOW_RUN_NOT_FOUND", "FUNCX_FORBIDDEN"))
        other.close()
        run.result(timeout=60)


if __name__ == "__main__":
    unittest.main()
