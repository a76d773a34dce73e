import { cleanup, configureEndpoint } from '@funcx/testing';
import { expect, test } from '../helpers/fixtures.js';
import { sharedHub } from '../helpers/shared-hub.js';

test.afterAll(cleanup);

test('a cell sent to an offline endpoint says it is waiting, then runs when the endpoint comes back', async ({
  notebook,
}) => {
  const nightly = await configureEndpoint(sharedHub(), { name: 'nightly', workers: 1, site: 'Comes back later' });
  await notebook.create('offline-endpoint', ['%%funcx nightly\nprint("back online")\n"ran after the wait"']);
  await notebook.run(0);

  await expect(notebook.outputArea(0)).toContainText(/waiting for endpoint nightly/i);
  await nightly.start();

  await expect(notebook.result(0)).toContainText('ran after the wait');
  await expect(notebook.outputArea(0)).toContainText('back online');
  await expect(notebook.outputArea(0)).not.toContainText(/waiting for endpoint/i);
});
