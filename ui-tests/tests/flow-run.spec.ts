import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FlowDefinition } from '@funcx/protocol';
import { expect, test } from '../helpers/fixtures.js';
import { FlowRunPage } from '../helpers/flow-run-page.js';
import { stack } from '../helpers/stack-env.js';

async function hubPost<T>(path: string, body: unknown): Promise<T> {
  const { hubUrl, token } = stack();
  const response = await fetch(`${hubUrl}/v1${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`POST /v1${path}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/**
 * A function on the `local` endpoint, a Wait long enough to be seen active however slowly the view opens on a
 * loaded machine, a Choice on the result and an ExpressionEval.
 */
const definition: FlowDefinition = {
  Comment: 'square then report',
  StartAt: 'square',
  States: {
    square: {
      Type: 'Action',
      ActionUrl: 'funcx',
      Parameters: { endpoint: 'local', source: 'def square(x):\n    return x * x\n', entrypoint: 'square', 'args.$': '$.args' },
      ResultPath: '$.square',
      Next: 'pause',
    },
    pause: { Type: 'Wait', Seconds: 25, Next: 'check' },
    check: { Type: 'Choice', Choices: [{ Variable: '$.square.details.result', NumericGreaterThan: 10, Next: 'report' }], Default: 'too_small' },
    report: { Type: 'ExpressionEval', Parameters: { 'message.=': "'squared to ' & $string(square.details.result)" }, End: true },
    too_small: { Type: 'Fail', Error: 'TooSmall' },
  },
};

test('a flow run opened from the sidebar draws its states, which turn succeeded as the run goes on', async ({ notebook, sidebar, page }, testInfo) => {
  const flow = await hubPost<{ flow_id: string }>('/flows', { title: 'square then report', definition });
  await notebook.create('flow-run', ['print("flows")']);
  const flows = new FlowRunPage(page);
  expect(await flows.paletteHasRunList()).toBe(true);
  await sidebar.open();
  const run = await hubPost<{ run_id: string }>(`/flows/${flow.flow_id}/run`, { input: { args: [7] }, label: 'ui-test run' });
  await expect(flows.listed(run.run_id)).toBeVisible({ timeout: 15_000 });
  await flows.listed(run.run_id).click();
  await expect(flows.view(run.run_id)).toBeVisible();

  // Every state is drawn from the definition, before any has run.
  for (const state of Object.keys(definition.States)) await expect(flows.node(run.run_id, state)).toHaveCount(1);
  await flows.expectStatus(run.run_id, 'square', 'succeeded');
  await flows.expectStatus(run.run_id, 'pause', 'active');
  await flows.expectStatus(run.run_id, 'check', 'succeeded', 60_000);
  await flows.expectStatus(run.run_id, 'report', 'succeeded');
  await expect(flows.view(run.run_id)).toHaveAttribute('data-status', 'SUCCEEDED');
  await expect(flows.node(run.run_id, 'too_small')).toHaveAttribute('data-status', 'pending');

  await flows.node(run.run_id, 'report').click();
  const detail = flows.view(run.run_id).locator('.funcx-FlowState[data-state="report"]');
  await expect(detail.locator('[data-value="output"] pre')).toContainText('squared to 49');
  await flows.node(run.run_id, 'square').click();
  await expect(flows.view(run.run_id).locator('.funcx-FlowState[data-state="square"] [data-value="input"] pre')).toContainText('"args"');

  const screenshots = join(testInfo.project.outputDir, 'screenshots');
  mkdirSync(screenshots, { recursive: true });
  const path = join(screenshots, 'flow-run-view.png');
  await flows.view(run.run_id).screenshot({ path });
  await testInfo.attach('flow-run-view.png', { path, contentType: 'image/png' });
});
