import { after, before, describe, test } from 'node:test';
import { reportPythonTests, runPythonTests } from './support/python-tests.js';
import { startSdkWorld, stopSdkWorld, type SdkWorld } from './support/world.js';

describe('the Python SDK (sdk/python), its own tests', () => {
  test('values, sources, remote exceptions, the shell runner, the %%funcx first line and a generator cell\'s items (no hub)', async (t) => {
    await reportPythonTests(t, await runPythonTests(['test_runtime', 'test_source', 'test_values', 'test_shell_runner', 'test_cell_line', 'test_cell_drain']));
  });
});

describe('the Python SDK against a real hub and endpoints', { timeout: 900_000 }, () => {
  let world: SdkWorld;
  before(async () => {
    world = await startSdkWorld({ plain: true, limited: true });
  });
  after(() => stopSdkWorld());

  test('funcx.Client', async (t) => {
    await reportPythonTests(t, await runPythonTests(['test_client'], { env: world.env }));
  });

  test('sessions: Client.run(session=), Executor(session=), Client.sessions and end_session', async (t) => {
    await reportPythonTests(t, await runPythonTests(['test_sessions'], { env: world.env }));
  });

  test('every FUNCX_* refusal is a FuncxError with its code, status and message', async (t) => {
    await reportPythonTests(t, await runPythonTests(['test_errors'], { env: world.env }));
  });

  test('funcx.Flow', async (t) => {
    await reportPythonTests(t, await runPythonTests(['test_flows'], { env: world.env }));
  });

  test('funcx.Executor', async (t) => {
    const control = {
      'restart-hub': async () => {
        await world.hub.restart();
        return null;
      },
    };
    await reportPythonTests(t, await runPythonTests(['test_executor'], { env: world.env, control }));
  });
});
