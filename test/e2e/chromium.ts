/** Debian's Chromium through playwright-core (no browser download); flags that suit a closed network. */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean) as string[];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) throw new Error('Chromium not found: apt-get install -y chromium (or set CHROMIUM_PATH)');
  return found;
}

/** `hosts` maps names to 127.0.0.1 inside the browser, so that sites on one machine can have hosts of their own (cookies are per host). */
export function launchChromium(options: { hosts?: string[] } = {}): Promise<Browser> {
  const rules = (options.hosts ?? []).map((host) => `MAP ${host} 127.0.0.1`).join(',');
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...(rules ? [`--host-resolver-rules=${rules}`] : []),
    ],
  });
}
