/** Does the configuration load, and which settings the bridge needs are still missing? */
import { describeSettings, type Config } from '../config.js';
import { BridgeError, describeError } from '../errors.js';
import { fail, ok, type Check } from './check.js';

const CHECK = 'configuration';

/** `load` reads the environment (loadConfig); everything else here is pure. */
export function checkConfiguration(load: () => Config): { config: Config | null; checks: Check[] } {
  let config: Config;
  try {
    config = load();
  } catch (error) {
    const fix = error instanceof BridgeError && error.hint ? error.hint : 'correct the variable named, in the environment or .env (README: Configuration)';
    return { config: null, checks: [fail(CHECK, error instanceof BridgeError ? error.message : describeError(error), fix)] };
  }
  if (config.missing.length === 0) return { config, checks: [ok(CHECK, 'valid, and every required setting is set')] };
  const purposes = new Map(describeSettings(config).map((setting) => [setting.name, setting.purpose]));
  const missing = config.missing.map((name) => (purposes.has(name) ? `${name} (${purposes.get(name)})` : name));
  return {
    config,
    checks: [fail(CHECK, `not set: ${missing.join('; ')}`, 'set them in the environment or .env (README: Configuration); the checks below say where each comes from')],
  };
}

/** Every secret value the configuration holds, to keep out of the report whatever happens. */
export function secretsOf(config: Config | null): string[] {
  if (!config) return [];
  const keys = [config.encryptionKey, ...config.previousEncryptionKeys].filter((key): key is Buffer => key !== undefined);
  const passwordOf = (url: string | undefined) => {
    try {
      return url ? decodeURIComponent(new URL(url).password) : '';
    } catch {
      return '';
    }
  };
  return [
    config.mattermost.botToken,
    config.mattermost.adminToken,
    // Every instance's: doctor sends each OAuth secret to its GitLab, and an answer may echo it.
    ...config.gitlabInstances.flatMap((instance) => [instance.oauthClientSecret, instance.webhookSigningKey, ...instance.webhookSecrets]),
    ...keys.flatMap((key) => [key.toString('hex'), key.toString('base64')]),
    passwordOf(config.databaseUrl),
    passwordOf(config.mattermost.databaseUrl),
    passwordOf(config.proxy.httpProxy),
    passwordOf(config.proxy.httpsProxy),
  ].filter((secret): secret is string => typeof secret === 'string' && secret !== '');
}
