import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EndpointView, TaskRecord } from '@funcx/protocol';
import { cleanup, startEndpoint, type EndpointProcess } from '@funcx/testing';
import type { Locator, Page, TestInfo } from '@playwright/test';
import { expect, test } from '../helpers/fixtures.js';
import { sharedHub } from '../helpers/shared-hub.js';
import { SidebarPage } from '../helpers/sidebar-page.js';
import { stack } from '../helpers/stack-env.js';

const SCREENSHOTS = join(fileURLToPath(new URL('..', import.meta.url)), 'test-results', 'screenshots');

/** The "Endpoint map" main-area widget. */
class MapPage {
  constructor(readonly page: Page) {}

  get widget(): Locator {
    return this.page.locator('.funcx-Map');
  }

  get markers(): Locator {
    return this.widget.locator('button.funcx-MapMarker');
  }

  marker(name: string): Locator {
    return this.widget.locator(`button.funcx-MapMarker[data-endpoint-name="${name}"]`);
  }

  get selection(): Locator {
    return this.widget.locator('.funcx-MapSelection');
  }

  /**
   * Opens the map through its command (what the palette, the launcher card and the sidebar's Map button run).
   * The modal palette itself is not driven: it closes whenever a notebook that is still settling takes focus.
   */
  async open(): Promise<void> {
    await this.page.evaluate(async () => {
      await (window as any).jupyterapp.commands.execute('funcx:open-map');
    });
    await expect(this.widget).toBeVisible();
  }

  async screenshot(testInfo: TestInfo, name: string): Promise<void> {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const path = join(SCREENSHOTS, name);
    await this.widget.screenshot({ path });
    await testInfo.attach(name, { path, contentType: 'image/png' });
  }
}

async function hubGet<T>(path: string): Promise<T> {
  const { hubUrl, token } = stack();
  const response = await fetch(`${hubUrl}/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`GET /v1${path}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

async function setTheme(page: Page, theme: 'JupyterLab Light' | 'JupyterLab Dark'): Promise<void> {
  await page.evaluate(async (name) => {
    await (window as any).jupyterapp.commands.execute('apputils:change-theme', { theme: name });
  }, theme);
  await expect(page.locator('body')).toHaveAttribute('data-jp-theme-name', theme);
}

let probe: EndpointProcess | undefined;
test.afterAll(cleanup);

test('every endpoint the user can see is a marker at its place, with a tooltip; light and dark screenshots', async ({
  notebook,
  page,
}, testInfo) => {
  await notebook.create('map-markers', ['1 + 1']);
  const map = new MapPage(page);
  await map.open();

  const endpoints = await hubGet<EndpointView[]>('/endpoints');
  const located = endpoints.filter((endpoint) => endpoint.location);
  expect(located.map((endpoint) => endpoint.name)).toEqual(expect.arrayContaining(['local', 'cloud']));
  await expect(map.markers).toHaveCount(located.length);
  for (const endpoint of located) {
    const marker = map.marker(endpoint.name);
    await expect(marker).toHaveAttribute('data-status', endpoint.status.online ? /online|busy/ : 'offline');
    await expect(marker).toHaveAttribute('aria-label', new RegExp(`^Endpoint ${endpoint.name}, (online|busy|offline), site `));
  }
  await expect(map.widget.locator('.funcx-MapListItem')).toHaveCount(endpoints.length - located.length);

  // Chicago lies east of Berkeley: the projection puts `local` to the right of `cloud`.
  const local = (await map.marker('local').boundingBox())!;
  const cloud = (await map.marker('cloud').boundingBox())!;
  expect(local.x).toBeGreaterThan(cloud.x);
  await expect(map.marker('local')).toHaveAttribute(
    'aria-label',
    /^Endpoint local, (online|busy), site Argonne \(laptop\), \d of 2 workers busy$/,
  );

  await map.marker('local').hover();
  const tooltip = map.widget.locator('[role="tooltip"]');
  await expect(tooltip).toContainText('Argonne (laptop)');
  await expect(tooltip).toContainText(/\d of 2/);
  await expect(tooltip).toContainText('Last heartbeat');
  await map.screenshot(testInfo, 'map-light.png');

  await setTheme(page, 'JupyterLab Dark');
  try {
    // The pointer leaves the map so the tooltip follows keyboard focus alone.
    await page.mouse.move(0, 0);
    await map.marker('cloud').focus();
    await expect(tooltip).toContainText('Berkeley (cloud VM)');
    await map.screenshot(testInfo, 'map-dark.png');
  } finally {
    await setTheme(page, 'JupyterLab Light');
  }

  // Zooming keeps markers at their size and moves them apart.
  const before = (await map.marker('local').boundingBox())!;
  await page.getByRole('button', { name: 'Zoom in' }).click();
  await page.getByRole('button', { name: 'Zoom in' }).click();
  const after = (await map.marker('local').boundingBox())!;
  expect(after.width).toBeCloseTo(before.width, 0);
  const cloudAfter = (await map.marker('cloud').boundingBox())!;
  expect(Math.abs(after.x - cloudAfter.x)).toBeGreaterThan(Math.abs(local.x - cloud.x) * 1.5);
});

test('choosing a marker makes it the notebook default, and a %%funcx cell without a name runs there', async ({
  notebook,
  page,
}) => {
  await notebook.create('map-default', ['%%funcx\nprint("ran where the map said")\n6 * 7']);
  const map = new MapPage(page);
  await map.open();
  await expect(map.selection).toContainText('map-default.ipynb has no default endpoint');

  // Keyboard first: markers are real buttons.
  await map.marker('cloud').focus();
  await page.keyboard.press('Enter');
  await expect(map.marker('cloud')).toHaveAttribute('data-selected', 'true');
  await expect(map.marker('cloud')).toHaveAttribute('aria-pressed', 'true');
  await expect(map.marker('local')).toHaveAttribute('data-selected', 'false');
  await expect(map.selection).toHaveText('Default endpoint of map-default.ipynb: cloud');
  await expect(page.locator('.Toastify__toast', { hasText: 'cloud is now the default endpoint of map-default.ipynb' })).toBeVisible();

  await page.locator('.lm-DockPanel-tabBar .lm-TabBar-tab', { hasText: 'map-default.ipynb' }).click();
  await expect(notebook.panel).toBeVisible();
  const metadata = await page.evaluate(() => (window as any).jupyterapp.shell.currentWidget.model.getMetadata('funcx'));
  expect(metadata).toEqual({ endpoint: 'cloud' });

  await notebook.run(0);
  await expect(notebook.outputArea(0)).toContainText('ran where the map said');
  await expect(notebook.result(0)).toContainText('42');

  // The task itself, as the hub recorded it, ran on `cloud`.
  const sidebar = new SidebarPage(page);
  await sidebar.open();
  const row = sidebar.tasks.filter({ hasText: 'ran where the map said' }).first();
  await expect(row).toHaveAttribute('data-task-state', 'success');
  const taskId = (await row.getAttribute('data-task-id'))!;
  const [task, cloud] = await Promise.all([
    hubGet<TaskRecord>(`/tasks/${taskId}`),
    hubGet<EndpointView>('/endpoints/cloud'),
  ]);
  expect(task.endpoint_id).toBe(cloud.endpoint_id);

  // The map saw the task start or finish there.
  await page.locator('.lm-DockPanel-tabBar .lm-TabBar-tab', { hasText: 'Endpoint map' }).click();
  await expect(map.marker('cloud').locator('.funcx-MapMarker-pulse')).toHaveCount(1);
});

test('stopping an endpoint daemon turns its marker offline without a reload', async ({ notebook, page }) => {
  probe = await startEndpoint(sharedHub(), {
    name: 'mapprobe',
    workers: 1,
    location: { lat: 35.68, lon: 139.69 },
    site: 'Tokyo (map probe)',
  });
  await notebook.create('map-live', ['1 + 1']);
  const map = new MapPage(page);
  await map.open();
  await expect(map.marker('mapprobe')).toHaveAttribute('data-status', /online|busy/);
  await expect(map.marker('mapprobe')).toHaveAttribute('aria-label', /^Endpoint mapprobe, (online|busy), site Tokyo \(map probe\), /);
  const loads = { count: 0 };
  page.on('load', () => loads.count++);

  await probe.process!.stop();
  await expect(map.marker('mapprobe')).toHaveAttribute('data-status', 'offline', { timeout: 15_000 });
  await expect(map.marker('mapprobe')).toHaveAttribute('aria-label', /^Endpoint mapprobe, offline, /);
  await expect(map.marker('local')).toHaveAttribute('data-status', /online|busy/);
  expect(loads.count).toBe(0);
});
