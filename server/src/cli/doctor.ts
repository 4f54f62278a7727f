/** `gitlab-bridge doctor [--json]`: see COMMANDS in commands.ts; the checks are in doctor/. */
import { loadConfig } from '../config.js';
import { checkConfiguration, secretsOf } from '../doctor/check-configuration.js';
import { skipped } from '../doctor/check.js';
import { diagnose } from '../doctor/diagnose.js';
import { exitStatus, renderReport, withoutSecrets } from '../doctor/render-report.js';
import { createLogger } from '../log.js';
import { installProxySupport } from '../net/proxy.js';
import type { Invocation } from './main.js';

export async function runDoctor({ values, io }: Invocation): Promise<number> {
  const { config, checks } = checkConfiguration(loadConfig);
  if (config) {
    // The same outgoing path as the bridge's: through the proxy when one is configured.
    const proxied = installProxySupport(config.proxy);
    // Silent: the report is the output (and with --json, stdout must hold JSON only).
    checks.push(...(await diagnose(config, createLogger('silent'), { proxied })));
  } else {
    checks.push(skipped('other checks', 'they need a valid configuration', 'fix the configuration first'));
  }
  io.out(renderReport(withoutSecrets(checks, secretsOf(config)), { json: values.json === true }));
  return exitStatus(checks);
}
