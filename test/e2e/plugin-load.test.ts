/**
 * The built plugin bundle (webapp/dist/main.js, what the tarball carries) in a
 * real Chromium, on a page that provides what Mattermost's host provides.
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { launchChromium } from './chromium.js';
import { buildHost } from './host/build-host.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const OUTPUT = path.join(root, 'test/e2e/output');

describe('the webapp bundle in a browser', () => {
  let server: http.Server;
  let origin: string;
  let browser: Browser;

  beforeAll(async () => {
    const hostScript = readFileSync(await buildHost(mkdtempSync(path.join(os.tmpdir(), 'e2e-host-'))));
    const files: Record<string, { type: string; body: Buffer }> = {
      '/': {
        type: 'text/html',
        body: Buffer.from(
          '<!doctype html><html><head><meta charset="utf-8"><title>Mattermost</title>' +
            '<style>:root{--center-channel-color:#3f4350;--center-channel-color-rgb:63,67,80}body{font-family:sans-serif}' +
            '.app{display:flex;flex-direction:column}.rhs{width:400px;border-left:1px solid #ddd}</style></head>' +
            '<body><div id="root"></div><script src="/static/host.js"></script>' +
            '<script src="/static/plugins/gitlab-bridge/gitlab-bridge_bundle.js"></script></body></html>',
        ),
      },
      '/static/host.js': { type: 'text/javascript', body: hostScript },
      // Where Mattermost serves a plugin's webapp bundle, and its public/ folder.
      '/static/plugins/gitlab-bridge/gitlab-bridge_bundle.js': { type: 'text/javascript', body: readFileSync(path.join(root, 'webapp/dist/main.js')) },
      '/plugins/gitlab-bridge/public/icon.svg': { type: 'image/svg+xml', body: readFileSync(path.join(root, 'assets/icon.svg')) },
    };
    files['/favicon.ico'] = files['/plugins/gitlab-bridge/public/icon.svg']!; // browsers ask on their own
    server = http.createServer((req, res) => {
      const file = files[req.url ?? ''];
      if (!file) return void res.writeHead(404).end();
      res.writeHead(200, { 'Content-Type': file.type }).end(file.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('registers gitlab-bridge, shows its header button and opens its panel', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });

    await page.goto(origin);
    await page.waitForFunction(() => (window as unknown as { __host: { registered: unknown[] } }).__host.registered.length > 0);
    const registered = await page.evaluate(() => (window as unknown as { __host: { registered: { id: string }[] } }).__host.registered);
    expect(registered).toEqual([{ id: 'gitlab-bridge' }]);

    const button = page.getByRole('button', { name: 'GitLab' });
    const iconLoaded = await button.locator('img').evaluate((img: HTMLImageElement) =>
      img.complete ? img.naturalWidth > 0 : new Promise<boolean>((resolve) => (img.onload = () => resolve(img.naturalWidth > 0))),
    );
    expect(iconLoaded).toBe(true);

    await button.click();
    const panel = page.getByTestId('gitlab-bridge-setup-panel');
    await panel.waitFor();
    expect(await panel.textContent()).toContain('GitLab Bridge is being set up');
    // Themed through Mattermost's variables, not hard-coded colours.
    expect(await panel.evaluate((el) => getComputedStyle(el).color)).toBe('rgb(63, 67, 80)');

    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: path.join(OUTPUT, 'plugin-load.png') });

    await button.click();
    await panel.waitFor({ state: 'detached' });
    expect(problems).toEqual([]);
    await page.close();
  });
});
