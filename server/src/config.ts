/**
 * The only reader of the environment (ARCHITECTURE.md §4). Everything else gets
 * a typed, validated Config. Missing Mattermost/GitLab settings are reported in
 * `missing` and never stop the bridge; invalid values throw a BridgeError that
 * names the variable.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import { BridgeError } from './errors.js';

export type Environment = Readonly<Record<string, string | undefined>>;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  mattermost: {
    url: string | undefined;
    siteUrl: string | undefined;
    botToken: string | undefined;
    adminToken: string | undefined;
    /** Mattermost's own database, read only by `import official-plugin` (MATTERMOST_DATABASE_URL). */
    databaseUrl: string | undefined;
  };
  /** The default GitLab instance (GITLAB_URL and the other GITLAB_* settings). */
  gitlab: GitLabInstanceConfig;
  /** Every configured GitLab instance, the default one first (GITLAB_INSTANCES names the others). */
  gitlabInstances: GitLabInstanceConfig[];
  publicUrl: string | undefined;
  internalUrl: string;
  /** Loopback when INTERNAL_URL names a loopback host, else every interface. */
  internalHost: string;
  databaseUrl: string | undefined;
  /** Connections of the main pool; storing webhooks and locks use a few more of their own (store/database.ts). */
  databasePoolSize: number;
  dataDir: string;
  /** Exactly 32 bytes; undefined means "generate one into DATA_DIR". */
  encryptionKey: Buffer | undefined;
  /** Keys tokens may still be sealed with while `rotate-key` moves them to encryptionKey. */
  previousEncryptionKeys: Buffer[];
  port: number;
  internalPort: number;
  logLevel: LogLevel;
  proxy: { httpProxy: string | undefined; httpsProxy: string | undefined; noProxy: string | undefined };
  polling: {
    /** Seconds between polls of a user or project (with jitter). */
    intervalSeconds: number;
    /** For users seen in Mattermost (a command, the webapp) within the last hour. */
    activeIntervalSeconds: number;
    /** For users not seen for a week. */
    idleIntervalSeconds: number;
    /** Every GitLab request the pollers make, across all replicas. */
    maxRequestsPerMinute: number;
  };
  /** How long finished work is kept (store/prune.ts), in seconds, and how often it is pruned. */
  retention: RetentionSettings;
  /** Limits on what the webapp's callers can make this replica hold or ask (webapp-api/). */
  webapp: {
    /** Live-update streams (GET /api/v1/events) one user may have open on this replica. */
    liveStreamsPerUser: number;
    /** Live-update streams this replica holds open in all. */
    liveStreamsMax: number;
    /** Checks with Mattermost of session tokens not accepted lately, per second. */
    sessionChecksPerSecond: number;
  };
  /**
   * How long `start` waits for the embedded database's owner (a `backup` run by cron with no bridge
   * running) to finish before refusing: 60; tests shorten it with GITLAB_BRIDGE_TEST_OWNER_WAIT.
   */
  /** Buttons on posts and direct messages (ACTION_BUTTONS=on, the default). */
  actionButtons: boolean;
  /**
   * Listening to Mattermost's WebSocket API (MATTERMOST_WEBSOCKET=on, the default): replies and
   * reactions in bridge threads reach GitLab, and code links get previews in channels that ask.
   */
  mattermostWebsocket: {
    enabled: boolean;
    /** The shortest wait before reconnecting, and how often a standby replica asks to take over. */
    retryMs: number;
  };
  embeddedOwnerWaitSeconds: number;
  /** Settings the bridge needs to be useful and does not have yet, by variable name. */
  missing: string[];
}

/** The name the GITLAB_* settings' instance has in the database and in commands. */
export const DEFAULT_INSTANCE = 'default';

export interface GitLabInstanceConfig {
  /** `default` for GITLAB_*; otherwise the name GITLAB_INSTANCES gives it (lower case letters and digits). */
  name: string;
  url: string;
  oauthClientId: string | undefined;
  oauthClientSecret: string | undefined;
  /** Several values are accepted at once so the secret can be rotated without downtime. */
  webhookSecrets: string[];
  webhookSigningKey: string | undefined;
  /** What users' tokens are asked for: `api` (read and write) or `read_api` (the bridge never writes to GitLab). */
  oauthScopes: OAuthScopes;
}

export const OAUTH_SCOPES = ['api', 'read_api'] as const;
export type OAuthScopes = (typeof OAUTH_SCOPES)[number];

export interface RetentionSettings {
  /** Processed webhook deliveries: a resend within this window is recognised as a duplicate. */
  webhookDedupeSeconds: number;
  /** Sent, failed and skipped posts and DMs; and MRs/issues closed this long ago (thread roots, status, participants). */
  deliverySeconds: number;
  /** MRs and issues with no event for this long, even if still open. */
  idleThreadSeconds: number;
  auditSeconds: number;
  pruneIntervalSeconds: number;
}

/** Settings without which the bridge runs but cannot do its job; listed by /readyz. */
const REQUIRED_FOR_READY = [
  'MATTERMOST_URL',
  'MATTERMOST_BOT_TOKEN',
  'GITLAB_OAUTH_CLIENT_ID',
  'GITLAB_OAUTH_CLIENT_SECRET',
  'GITLAB_WEBHOOK_SECRET',
] as const;

/** Variables whose values must never be echoed back, even in an error message. */
const SECRET_VARIABLES = new Set([
  'MATTERMOST_BOT_TOKEN',
  'MATTERMOST_ADMIN_TOKEN',
  'GITLAB_OAUTH_CLIENT_SECRET',
  'GITLAB_WEBHOOK_SECRET',
  'GITLAB_WEBHOOK_SIGNING_KEY',
  'ENCRYPTION_KEY',
  'ENCRYPTION_KEY_PREVIOUS',
  'DATABASE_URL',
  'MATTERMOST_DATABASE_URL',
  'HTTP_PROXY',
  'HTTPS_PROXY',
]);

const httpUrl = z
  .string()
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
    } catch {
      return false;
    }
  }, 'must be an http:// or https:// URL')
  .transform((value) => value.replace(/\/+$/, ''));

const postgresUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return url.protocol === 'postgres:' || url.protocol === 'postgresql:';
  } catch {
    return false;
  }
}, 'must be a postgres:// or postgresql:// URL');

const port = z
  .string()
  .regex(/^\d{1,5}$/, 'must be a whole number from 0 to 65535')
  .transform(Number)
  .refine((value) => value <= 65535, 'must be a whole number from 0 to 65535');

const encryptionKey = z.string().transform((value, context) => {
  const key = decodeKey(value);
  if (!key) {
    context.addIssue({
      code: 'custom',
      message: 'must be 32 bytes written as 64 hexadecimal characters or as base64 (for example the output of `openssl rand -base64 32`)',
    });
    return z.NEVER;
  }
  return key;
});

/** Comma-separated keys, each as ENCRYPTION_KEY takes it. */
const previousKeys = z.string().transform((value, context) => {
  const keys = value.split(',').map((part) => part.trim()).filter(Boolean).map(decodeKey);
  if (keys.length === 0 || keys.some((key) => key === undefined)) {
    context.addIssue({ code: 'custom', message: 'must be one or more keys, comma-separated, each written as ENCRYPTION_KEY is' });
    return z.NEVER;
  }
  return keys as Buffer[];
});

const seconds = (least: number) =>
  z
    .string()
    .regex(/^\d{1,6}$/, `must be a whole number of seconds, at least ${least}`)
    .transform(Number)
    .refine((value) => value >= least, `must be a whole number of seconds, at least ${least}`);

const poolSize = z
  .string()
  .regex(/^\d{1,3}$/, 'must be a whole number of connections from 4 to 500')
  .transform(Number)
  .refine((value) => value >= 4 && value <= 500, 'must be a whole number of connections from 4 to 500');

const count = (least: number, most: number, what: string) =>
  z
    .string()
    .regex(/^\d{1,7}$/, `must be a whole number of ${what} from ${least} to ${most}`)
    .transform(Number)
    .refine((value) => value >= least && value <= most, `must be a whole number of ${what} from ${least} to ${most}`);

const perMinute = z
  .string()
  .regex(/^\d{1,7}$/, 'must be a whole number of requests, at least 1')
  .transform(Number)
  .refine((value) => value >= 1, 'must be a whole number of requests, at least 1');

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
/** A whole number and a unit: `7d`, `12h`, `30m`, `90s` (seconds are there for tests and benchmarks). */
const duration = z
  .string()
  .regex(/^\d{1,9}[smhd]$/, 'must be a duration: a whole number and a unit, for example 7d, 12h, 30m or 90s')
  .transform((value) => Number(value.slice(0, -1)) * DURATION_UNITS[value.slice(-1)]!)
  .refine((value) => value >= 1 && value <= 3650 * 86_400, 'must be a duration from 1s to 3650d');
/** Pruning less often than monthly would let the database grow well past its retention. */
const pruneInterval = duration.refine((value) => value <= 30 * 86_400, 'must be at most 30d');

const signingKey = z
  .string()
  .regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, 'must look like whsec_<base64>, as GitLab shows it');

const oauthScopes = z.enum(OAUTH_SCOPES, { message: 'must be api or read_api' });

/** Names become part of variable names (GITLAB_<NAME>_URL) and of the webhook path (/webhook/<name>). */
const INSTANCE_NAME = /^[a-z][a-z0-9]{0,19}$/;
const instanceNames = z.string().transform((value, context) => {
  const names = value.split(',').map((name) => name.trim().toLowerCase()).filter(Boolean);
  const bad = names.find((name) => !INSTANCE_NAME.test(name) || name === DEFAULT_INSTANCE);
  if (bad !== undefined || names.length === 0 || new Set(names).size !== names.length) {
    context.addIssue({
      code: 'custom',
      message: `must be distinct names, comma-separated, each a lower-case letter then up to 19 letters or digits, and not "${DEFAULT_INSTANCE}"`,
    });
    return z.NEVER;
  }
  return names;
});

/** The settings of one more instance, GITLAB_<NAME>_*; the same rules as the default's. */
const instanceSchema = z.object({
  URL: httpUrl,
  OAUTH_CLIENT_ID: z.string().optional(),
  OAUTH_CLIENT_SECRET: z.string().optional(),
  WEBHOOK_SECRET: z.string().optional(),
  WEBHOOK_SIGNING_KEY: signingKey.optional(),
  OAUTH_SCOPES: oauthScopes.default('api'),
});
const INSTANCE_SECRETS = ['OAUTH_CLIENT_SECRET', 'WEBHOOK_SECRET', 'WEBHOOK_SIGNING_KEY'];

const schema = z.object({
  MATTERMOST_URL: httpUrl.optional(),
  MATTERMOST_SITE_URL: httpUrl.optional(),
  MATTERMOST_BOT_TOKEN: z.string().optional(),
  MATTERMOST_ADMIN_TOKEN: z.string().optional(),
  GITLAB_URL: httpUrl.default('https://gitlab.com'),
  GITLAB_OAUTH_CLIENT_ID: z.string().optional(),
  GITLAB_OAUTH_CLIENT_SECRET: z.string().optional(),
  GITLAB_WEBHOOK_SECRET: z.string().optional(),
  GITLAB_WEBHOOK_SIGNING_KEY: signingKey.optional(),
  GITLAB_OAUTH_SCOPES: oauthScopes.default('api'),
  GITLAB_INSTANCES: instanceNames.optional(),
  MATTERMOST_DATABASE_URL: postgresUrl.optional(),
  PUBLIC_URL: httpUrl.optional(),
  INTERNAL_URL: httpUrl.optional(),
  DATABASE_URL: postgresUrl.optional(),
  DATABASE_POOL_SIZE: poolSize.default(10),
  DATA_DIR: z.string().default('./data'),
  ENCRYPTION_KEY: encryptionKey.optional(),
  ENCRYPTION_KEY_PREVIOUS: previousKeys.optional(),
  PORT: port.default(3500),
  INTERNAL_PORT: port.default(3501),
  LOG_LEVEL: z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  HTTP_PROXY: httpUrl.optional(),
  HTTPS_PROXY: httpUrl.optional(),
  NO_PROXY: z.string().optional(),
  POLL_INTERVAL_SECONDS: seconds(1).default(60),
  POLL_ACTIVE_INTERVAL_SECONDS: seconds(1).optional(),
  POLL_IDLE_INTERVAL_SECONDS: seconds(1).optional(),
  GITLAB_MAX_REQUESTS_PER_MINUTE: perMinute.default(1800),
  WEBHOOK_DEDUPE_WINDOW: duration.default(7 * 86_400),
  DELIVERY_RETENTION: duration.default(30 * 86_400),
  IDLE_THREAD_RETENTION: duration.default(365 * 86_400),
  AUDIT_RETENTION: duration.default(365 * 86_400),
  PRUNE_INTERVAL: pruneInterval.default(3600),
  LIVE_STREAMS_PER_USER: count(1, 1000, 'streams').default(8),
  LIVE_STREAMS_MAX: count(1, 100_000, 'streams').default(1000),
  SESSION_CHECKS_PER_SECOND: count(1, 10_000, 'checks').default(50),
  ACTION_BUTTONS: z.enum(['on', 'off'], { message: 'must be on or off' }).default('on'),
  MATTERMOST_WEBSOCKET: z.enum(['on', 'off'], { message: 'must be on or off' }).default('on'),
  MATTERMOST_WEBSOCKET_RETRY_MS: count(50, 600_000, 'milliseconds').default(3000),
  /** For tests only, undocumented: a bridge refused after a minute's wait would make them slow. */
  GITLAB_BRIDGE_TEST_OWNER_WAIT: duration.default(60),
});

/**
 * Validates an environment. `cwd` resolves a relative DATA_DIR so the result
 * does not change if the process later changes directory.
 */
export function parseConfig(env: Environment, cwd: string): Config {
  const result = schema.safeParse(normalise(env));
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? 'environment');
      const given = env[variable];
      const shown = SECRET_VARIABLES.has(variable) || given === undefined ? '' : ` (got ${JSON.stringify(given.trim())})`;
      return `${variable} ${issue.message}${shown}`;
    });
    throw new BridgeError('config_invalid', `invalid configuration: ${problems.join('; ')}`);
  }
  const values = result.data;

  if (values.PORT !== 0 && values.PORT === values.INTERNAL_PORT) {
    throw new BridgeError(
      'config_invalid',
      `invalid configuration: PORT and INTERNAL_PORT must differ (both are ${values.PORT})`,
    );
  }

  const siteUrl = values.MATTERMOST_SITE_URL ?? values.MATTERMOST_URL;
  const internalUrl = values.INTERNAL_URL ?? `http://127.0.0.1:${values.INTERNAL_PORT}`;
  const webhookSecrets = splitSecrets(values.GITLAB_WEBHOOK_SECRET);
  const defaultInstance: GitLabInstanceConfig = {
    name: DEFAULT_INSTANCE,
    url: values.GITLAB_URL,
    oauthClientId: values.GITLAB_OAUTH_CLIENT_ID,
    oauthClientSecret: values.GITLAB_OAUTH_CLIENT_SECRET,
    webhookSecrets,
    webhookSigningKey: values.GITLAB_WEBHOOK_SIGNING_KEY,
    oauthScopes: values.GITLAB_OAUTH_SCOPES,
  };
  const gitlabInstances = [defaultInstance, ...(values.GITLAB_INSTANCES ?? []).map((name) => parseInstance(env, name))];
  const sameUrl = gitlabInstances.find((instance, index) => gitlabInstances.findIndex((other) => other.url === instance.url) !== index);
  if (sameUrl) {
    throw new BridgeError('config_invalid', `invalid configuration: two GitLab instances have the URL ${sameUrl.url}; each GitLab is configured once`);
  }
  // A delivery is an instance's because only its secret opens its door: a secret two share would let either speak for the other.
  const shared = gitlabInstances.flatMap((instance, index) =>
    gitlabInstances.slice(index + 1).filter((other) => other.webhookSecrets.some((secret) => instance.webhookSecrets.includes(secret))).map((other) => [instance, other] as const),
  )[0];
  if (shared) {
    const variable = (instance: GitLabInstanceConfig) => (instance.name === DEFAULT_INSTANCE ? 'GITLAB_WEBHOOK_SECRET' : `GITLAB_${instance.name.toUpperCase()}_WEBHOOK_SECRET`);
    throw new BridgeError('config_invalid', `invalid configuration: ${variable(shared[0])} and ${variable(shared[1])} share a value; each GitLab instance needs a webhook secret of its own`);
  }

  const present: Record<(typeof REQUIRED_FOR_READY)[number], boolean> = {
    MATTERMOST_URL: values.MATTERMOST_URL !== undefined,
    MATTERMOST_BOT_TOKEN: values.MATTERMOST_BOT_TOKEN !== undefined,
    GITLAB_OAUTH_CLIENT_ID: values.GITLAB_OAUTH_CLIENT_ID !== undefined,
    GITLAB_OAUTH_CLIENT_SECRET: values.GITLAB_OAUTH_CLIENT_SECRET !== undefined,
    GITLAB_WEBHOOK_SECRET: webhookSecrets.length > 0,
  };

  return {
    mattermost: {
      url: values.MATTERMOST_URL,
      siteUrl,
      botToken: values.MATTERMOST_BOT_TOKEN,
      adminToken: values.MATTERMOST_ADMIN_TOKEN,
      databaseUrl: values.MATTERMOST_DATABASE_URL,
    },
    gitlab: defaultInstance,
    gitlabInstances,
    publicUrl: values.PUBLIC_URL ?? (siteUrl === undefined ? undefined : `${siteUrl}/plugins/gitlab-bridge`),
    internalUrl,
    internalHost: isLoopbackHost(new URL(internalUrl).hostname) ? '127.0.0.1' : '0.0.0.0',
    databaseUrl: values.DATABASE_URL,
    databasePoolSize: values.DATABASE_POOL_SIZE,
    dataDir: path.resolve(cwd, values.DATA_DIR),
    encryptionKey: values.ENCRYPTION_KEY,
    previousEncryptionKeys: values.ENCRYPTION_KEY_PREVIOUS ?? [],
    port: values.PORT,
    internalPort: values.INTERNAL_PORT,
    logLevel: values.LOG_LEVEL,
    proxy: { httpProxy: values.HTTP_PROXY, httpsProxy: values.HTTPS_PROXY, noProxy: values.NO_PROXY },
    polling: {
      intervalSeconds: values.POLL_INTERVAL_SECONDS,
      activeIntervalSeconds: values.POLL_ACTIVE_INTERVAL_SECONDS ?? Math.max(1, Math.round(values.POLL_INTERVAL_SECONDS / 2)),
      idleIntervalSeconds: values.POLL_IDLE_INTERVAL_SECONDS ?? values.POLL_INTERVAL_SECONDS * 5,
      maxRequestsPerMinute: values.GITLAB_MAX_REQUESTS_PER_MINUTE,
    },
    retention: {
      webhookDedupeSeconds: values.WEBHOOK_DEDUPE_WINDOW,
      deliverySeconds: values.DELIVERY_RETENTION,
      idleThreadSeconds: values.IDLE_THREAD_RETENTION,
      auditSeconds: values.AUDIT_RETENTION,
      pruneIntervalSeconds: values.PRUNE_INTERVAL,
    },
    webapp: {
      liveStreamsPerUser: values.LIVE_STREAMS_PER_USER,
      liveStreamsMax: values.LIVE_STREAMS_MAX,
      sessionChecksPerSecond: values.SESSION_CHECKS_PER_SECOND,
    },
    actionButtons: values.ACTION_BUTTONS === 'on',
    mattermostWebsocket: { enabled: values.MATTERMOST_WEBSOCKET === 'on', retryMs: values.MATTERMOST_WEBSOCKET_RETRY_MS },
    embeddedOwnerWaitSeconds: values.GITLAB_BRIDGE_TEST_OWNER_WAIT,
    missing: REQUIRED_FOR_READY.filter((name) => !present[name]),
  };
}

function splitSecrets(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((secret) => secret.trim())
    .filter((secret) => secret !== '');
}

/** GITLAB_<NAME>_URL is required; the rest may be missing (the instance then cannot do what needs them). */
function parseInstance(env: Environment, name: string): GitLabInstanceConfig {
  const prefix = `GITLAB_${name.toUpperCase()}_`;
  const given: Record<string, string> = {};
  for (const key of Object.keys(instanceSchema.shape)) {
    const value = env[prefix + key]?.trim();
    if (value) given[key] = value;
  }
  const result = instanceSchema.safeParse(given);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? 'URL');
      const shown = INSTANCE_SECRETS.includes(key) || given[key] === undefined ? '' : ` (got ${JSON.stringify(given[key])})`;
      return `${prefix}${key} ${given[key] === undefined ? `must be set for the GitLab instance "${name}" named in GITLAB_INSTANCES` : issue.message}${shown}`;
    });
    throw new BridgeError('config_invalid', `invalid configuration: ${problems.join('; ')}`);
  }
  const values = result.data;
  return {
    name,
    url: values.URL,
    oauthClientId: values.OAUTH_CLIENT_ID,
    oauthClientSecret: values.OAUTH_CLIENT_SECRET,
    webhookSecrets: splitSecrets(values.WEBHOOK_SECRET),
    webhookSigningKey: values.WEBHOOK_SIGNING_KEY,
    oauthScopes: values.OAUTH_SCOPES,
  };
}

/**
 * The process environment with `.env` from `cwd` underneath it: a variable set in
 * the real environment wins, as with docker and systemd EnvironmentFile.
 */
export function readEnvironment(processEnv: Environment, cwd: string): Environment {
  const file = path.join(cwd, '.env');
  if (!existsSync(file)) return processEnv;
  let fromFile: Record<string, string>;
  try {
    fromFile = parseEnv(readFileSync(file, 'utf8')) as Record<string, string>;
  } catch (error) {
    throw new BridgeError('config_invalid', `cannot read ${file}: ${(error as Error).message}`);
  }
  return { ...fromFile, ...processEnv };
}

/** Unset and blank are the same; proxy variables are also accepted in lower case, as curl does. */
function normalise(env: Environment): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key] ?? (key.endsWith('PROXY') ? env[key.toLowerCase()] : undefined);
    if (value !== undefined && value.trim() !== '') out[key] = value.trim();
  }
  return out;
}

function decodeKey(text: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) {
    const key = Buffer.from(text, 'base64');
    if (key.length === 32) return key;
  }
  return undefined;
}

function isLoopbackHost(hostname: string): boolean {
  const bare = hostname.replace(/^\[|\]$/g, '');
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1';
}

const PURPOSES: Record<string, string> = {
  MATTERMOST_URL: 'where the bridge calls Mattermost; without it nothing is posted',
  MATTERMOST_BOT_TOKEN: "the bot's access token; without it nothing is posted",
  GITLAB_URL: 'your GitLab (defaults to https://gitlab.com)',
  GITLAB_OAUTH_CLIENT_ID: 'the GitLab OAuth application users connect their accounts through',
  GITLAB_OAUTH_CLIENT_SECRET: 'the secret of that OAuth application',
  GITLAB_WEBHOOK_SECRET: 'the secret token GitLab webhooks must send; without it webhooks are refused',
  GITLAB_WEBHOOK_SIGNING_KEY: 'optional: verify signed webhooks (GitLab 19+)',
  GITLAB_OAUTH_SCOPES: 'optional: read_api connects users read-only (the bridge then never writes to GitLab); default api',
  GITLAB_INSTANCES: 'optional: names of more GitLab instances, each set with GITLAB_<NAME>_URL and the like',
  MATTERMOST_DATABASE_URL: "optional: Mattermost's database, read only by `import official-plugin`",
  DATABASE_URL: 'optional: an external PostgreSQL; unset runs the embedded one',
  ENCRYPTION_KEY: 'key for tokens at rest; unset uses a key generated into DATA_DIR',
  ENCRYPTION_KEY_PREVIOUS: 'optional: the old key(s) while `gitlab-bridge rotate-key` moves tokens to ENCRYPTION_KEY',
};

/** Which settings are present (never their values), for logs and the setup page. */
export function describeSettings(config: Config): { name: string; present: boolean; purpose: string }[] {
  const present: Record<string, boolean> = {
    MATTERMOST_URL: config.mattermost.url !== undefined,
    MATTERMOST_BOT_TOKEN: config.mattermost.botToken !== undefined,
    GITLAB_URL: true,
    GITLAB_OAUTH_CLIENT_ID: config.gitlab.oauthClientId !== undefined,
    GITLAB_OAUTH_CLIENT_SECRET: config.gitlab.oauthClientSecret !== undefined,
    GITLAB_WEBHOOK_SECRET: config.gitlab.webhookSecrets.length > 0,
    GITLAB_WEBHOOK_SIGNING_KEY: config.gitlab.webhookSigningKey !== undefined,
    GITLAB_OAUTH_SCOPES: true,
    GITLAB_INSTANCES: config.gitlabInstances.length > 1,
    MATTERMOST_DATABASE_URL: config.mattermost.databaseUrl !== undefined,
    DATABASE_URL: config.databaseUrl !== undefined,
    ENCRYPTION_KEY: config.encryptionKey !== undefined,
    ENCRYPTION_KEY_PREVIOUS: config.previousEncryptionKeys.length > 0,
  };
  const instances = config.gitlabInstances.slice(1).flatMap((instance) => {
    const prefix = `GITLAB_${instance.name.toUpperCase()}_`;
    const what = `of the GitLab instance "${instance.name}"`;
    return [
      { name: `${prefix}URL`, present: true, purpose: `the URL ${what}` },
      { name: `${prefix}OAUTH_CLIENT_ID`, present: instance.oauthClientId !== undefined, purpose: `the OAuth application ${what}` },
      { name: `${prefix}OAUTH_CLIENT_SECRET`, present: instance.oauthClientSecret !== undefined, purpose: `the secret of that OAuth application` },
      { name: `${prefix}WEBHOOK_SECRET`, present: instance.webhookSecrets.length > 0, purpose: `the secret its webhooks send to /webhook/${instance.name}` },
      { name: `${prefix}WEBHOOK_SIGNING_KEY`, present: instance.webhookSigningKey !== undefined, purpose: 'optional: verify its signed webhooks' },
      { name: `${prefix}OAUTH_SCOPES`, present: true, purpose: `optional: read_api connects its users read-only; default api` },
    ];
  });
  return [...Object.entries(PURPOSES).map(([name, purpose]) => ({ name, present: present[name] ?? false, purpose })), ...instances];
}

/** process.env with .env beneath it, from the working directory: what `start` and `migrate` use. */
export function loadConfig(): Config {
  const cwd = process.cwd();
  return parseConfig(readEnvironment(process.env, cwd), cwd);
}
