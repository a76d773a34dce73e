import { after, before, describe, test } from 'node:test';
import { reportPythonTests, runPythonTests } from './support/python-tests.js';
import { startSdkWorld, stopSdkWorld, type SdkWorld } from './support/world.js';

describe('%%funcx and %funcx in a real kernel (jupyter nbconvert --execute, jupyter_client)', { timeout: 600_000 }, () => {
  let world: SdkWorld;
  before(async () => {
    world = await startSdkWorld();
  });
  after(() => stopSdkWorld());

  test('the IPython extension', async (t) => {
    await reportPythonTests(t, await runPythonTests(['test_magic'], { env: world.env }));
  });
});
