// Merges settings into a JupyterLab overrides.json:
//   node scripts/lab-settings.mjs FILE [HUB_URL TOKEN]
// Always turns off the news pop-up; with a hub URL and token, also sets the funcx extension's settings.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const [file, hubUrl, token] = process.argv.slice(2);
if (!file) {
  console.error('usage: node scripts/lab-settings.mjs OVERRIDES_JSON [HUB_URL TOKEN]');
  process.exit(2);
}

let overrides = {};
if (existsSync(file)) {
  try {
    overrides = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    console.error(`${file} is not valid JSON (${error.message}); rewriting it`);
  }
}
overrides['@jupyterlab/apputils-extension:notification'] = {
  ...overrides['@jupyterlab/apputils-extension:notification'],
  fetchNews: 'false',
  checkForUpdates: false,
};
if (hubUrl && token) {
  overrides['@funcx/jupyterlab:plugin'] = {
    ...overrides['@funcx/jupyterlab:plugin'],
    hubUrl,
    token,
  };
}
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, JSON.stringify(overrides, null, 2) + '\n');
