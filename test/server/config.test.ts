import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { describeSettings, parseConfig, readEnvironment } from '../../server/src/config.js';
import { BridgeError } from '../../server/src/errors.js';

const cwd = '/srv/bridge';
const parse = (env: Record<string, string>) => parseConfig(env, cwd);
const errorOf = (env: Record<string, string>): BridgeError => {
  try {
    parse(env);
  } catch (error) {
    return error as BridgeError;
  }
  throw new Error('expected the configuration to be rejected');
};

describe('configuration', () => {
  it('starts from documented defaults when nothing is set, listing what is missing', () => {
    const config = parse({});
    expect(config.port).toBe(3500);
    expect(config.internalPort).toBe(3501);
    expect(config.gitlab.url).toBe('https://gitlab.com');
    expect(config.internalUrl).toBe('http://127.0.0.1:3501');
    expect(config.dataDir).toBe('/srv/bridge/data');
    expect(config.logLevel).toBe('info');
    expect(config.databaseUrl).toBeUndefined();
    expect(config.encryptionKey).toBeUndefined();
    expect(config.missing).toEqual([
      'MATTERMOST_URL',
      'MATTERMOST_BOT_TOKEN',
      'GITLAB_OAUTH_CLIENT_ID',
      'GITLAB_OAUTH_CLIENT_SECRET',
      'GITLAB_WEBHOOK_SECRET',
    ]);
  });

  it('is complete when Mattermost and GitLab are configured', () => {
    const config = parse({
      MATTERMOST_URL: 'http://mattermost:8065/',
      MATTERMOST_SITE_URL: 'https://chat.example.com',
      MATTERMOST_BOT_TOKEN: 'abc',
      GITLAB_OAUTH_CLIENT_ID: 'id',
      GITLAB_OAUTH_CLIENT_SECRET: 'secret',
      GITLAB_WEBHOOK_SECRET: 'hook',
    });
    expect(config.missing).toEqual([]);
    expect(config.mattermost.url).toBe('http://mattermost:8065');
    expect(config.publicUrl).toBe('https://chat.example.com/plugins/gitlab-bridge');
  });

  it('derives the site URL and public URL from MATTERMOST_URL when they are not given', () => {
    const config = parse({ MATTERMOST_URL: 'https://chat.example.com' });
    expect(config.mattermost.siteUrl).toBe('https://chat.example.com');
    expect(config.publicUrl).toBe('https://chat.example.com/plugins/gitlab-bridge');
  });

  it('keeps INTERNAL_URL in step with INTERNAL_PORT and binds the internal listener to loopback only when the URL is local', () => {
    expect(parse({ INTERNAL_PORT: '4501' }).internalUrl).toBe('http://127.0.0.1:4501');
    expect(parse({}).internalHost).toBe('127.0.0.1');
    expect(parse({ INTERNAL_URL: 'http://localhost:3501' }).internalHost).toBe('127.0.0.1');
    expect(parse({ INTERNAL_URL: 'http://bridge.internal:3501' }).internalHost).toBe('0.0.0.0');
  });

  it('treats blank values as unset and accepts lower-case proxy variables', () => {
    const config = parse({ MATTERMOST_URL: '  ', PORT: '', http_proxy: 'http://proxy:3128', no_proxy: 'localhost' });
    expect(config.mattermost.url).toBeUndefined();
    expect(config.port).toBe(3500);
    expect(config.proxy).toEqual({ httpProxy: 'http://proxy:3128', httpsProxy: undefined, noProxy: 'localhost' });
  });

  it('accepts several webhook secrets so the secret can be rotated', () => {
    expect(parse({ GITLAB_WEBHOOK_SECRET: 'old, new' }).gitlab.webhookSecrets).toEqual(['old', 'new']);
  });

  it('accepts a 32-byte encryption key as hex or base64', () => {
    const key = Buffer.alloc(32, 7);
    expect(parse({ ENCRYPTION_KEY: key.toString('hex') }).encryptionKey).toEqual(key);
    expect(parse({ ENCRYPTION_KEY: key.toString('base64') }).encryptionKey).toEqual(key);
  });

  it('accepts the previous encryption keys of a rotation, comma-separated, and refuses a bad one without echoing it', () => {
    const [a, b] = [Buffer.alloc(32, 1), Buffer.alloc(32, 2)];
    expect(parse({ ENCRYPTION_KEY_PREVIOUS: `${a.toString('hex')}, ${b.toString('base64')}` }).previousEncryptionKeys).toEqual([a, b]);
    expect(parse({}).previousEncryptionKeys).toEqual([]);
    const error = errorOf({ ENCRYPTION_KEY_PREVIOUS: `${a.toString('hex')},secret-ish` });
    expect(error.message).toMatch(/ENCRYPTION_KEY_PREVIOUS must be one or more keys/);
    expect(error.message).not.toContain('secret-ish');
  });

  it.each([
    ['PORT', 'abc', /PORT must be a whole number from 0 to 65535 \(got "abc"\)/],
    ['INTERNAL_PORT', '70000', /INTERNAL_PORT must be a whole number/],
    ['MATTERMOST_URL', 'chat.example.com', /MATTERMOST_URL must be an http:\/\/ or https:\/\/ URL \(got "chat.example.com"\)/],
    ['GITLAB_URL', 'ftp://gitlab', /GITLAB_URL must be an http/],
    ['DATABASE_URL', 'mysql://db/x', /DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/],
    ['LOG_LEVEL', 'verbose', /LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/],
    ['GITLAB_WEBHOOK_SIGNING_KEY', 'not-a-key', /GITLAB_WEBHOOK_SIGNING_KEY must look like whsec_/],
  ])('stops on an invalid %s with a message naming it', (name, value, message) => {
    const error = errorOf({ [name]: value });
    expect(error.code).toBe('config_invalid');
    expect(error.message).toMatch(message);
  });

  it('rejects a short encryption key without echoing it', () => {
    const error = errorOf({ ENCRYPTION_KEY: 'tooshort-secret' });
    expect(error.message).toMatch(/ENCRYPTION_KEY must be 32 bytes/);
    expect(error.message).not.toContain('tooshort-secret');
  });

  it('never echoes a secret value, even a malformed one', () => {
    const error = errorOf({ DATABASE_URL: 'mysql://user:hunter2@db/x' });
    expect(error.message).not.toContain('hunter2');
  });

  it('names every invalid variable at once', () => {
    const error = errorOf({ PORT: 'x', LOG_LEVEL: 'loud' });
    expect(error.message).toMatch(/PORT/);
    expect(error.message).toMatch(/LOG_LEVEL/);
  });

  it('refuses the same port for both listeners', () => {
    expect(errorOf({ PORT: '4000', INTERNAL_PORT: '4000' }).message).toMatch(/PORT and INTERNAL_PORT must differ/);
  });

  it('describes which settings are present without their values', () => {
    const settings = describeSettings(parse({ MATTERMOST_BOT_TOKEN: 'very-secret-token' }));
    expect(settings.find((s) => s.name === 'MATTERMOST_BOT_TOKEN')).toMatchObject({ present: true });
    expect(settings.find((s) => s.name === 'MATTERMOST_URL')).toMatchObject({ present: false });
    expect(JSON.stringify(settings)).not.toContain('very-secret-token');
  });
});

describe('several GitLab instances', () => {
  const corp = {
    GITLAB_URL: 'https://gitlab.com',
    GITLAB_WEBHOOK_SECRET: 'default-secret',
    GITLAB_INSTANCES: 'Corp, eu2',
    GITLAB_CORP_URL: 'https://gitlab.corp.example/',
    GITLAB_CORP_OAUTH_CLIENT_ID: 'corp-id',
    GITLAB_CORP_OAUTH_CLIENT_SECRET: 'corp-secret',
    GITLAB_CORP_WEBHOOK_SECRET: 'corp-hook, corp-hook-next',
    GITLAB_CORP_OAUTH_SCOPES: 'read_api',
    GITLAB_EU2_URL: 'https://gitlab.eu.example',
  };

  it('reads each named instance from its own GITLAB_<NAME>_* variables, the default first', () => {
    const config = parse(corp);
    expect(config.gitlabInstances.map((instance) => instance.name)).toEqual(['default', 'corp', 'eu2']);
    expect(config.gitlab).toBe(config.gitlabInstances[0]);
    expect(config.gitlabInstances[1]).toEqual({
      name: 'corp',
      url: 'https://gitlab.corp.example',
      oauthClientId: 'corp-id',
      oauthClientSecret: 'corp-secret',
      webhookSecrets: ['corp-hook', 'corp-hook-next'],
      webhookSigningKey: undefined,
      oauthScopes: 'read_api',
    });
    expect(config.gitlabInstances[2]).toMatchObject({ name: 'eu2', oauthClientId: undefined, webhookSecrets: [], oauthScopes: 'api' });
    // The status page lists each instance's settings, never their values.
    const settings = describeSettings(config);
    expect(settings.find((setting) => setting.name === 'GITLAB_CORP_WEBHOOK_SECRET')).toMatchObject({ present: true });
    expect(settings.find((setting) => setting.name === 'GITLAB_EU2_OAUTH_CLIENT_ID')).toMatchObject({ present: false });
    expect(JSON.stringify(settings)).not.toContain('corp-secret');
  });

  it('refuses a name that cannot be a variable or a path, a repeated name, and the name default', () => {
    for (const names of ['corp-eu', '1corp', 'corp,corp', 'default', 'x'.repeat(21), ' , ']) {
      expect(errorOf({ GITLAB_INSTANCES: names }).message).toContain('GITLAB_INSTANCES must be distinct names');
    }
  });

  it('requires a named instance to have its URL, and names the variable without echoing secrets', () => {
    expect(errorOf({ GITLAB_INSTANCES: 'corp' }).message).toContain('GITLAB_CORP_URL must be set for the GitLab instance "corp" named in GITLAB_INSTANCES');
    const bad = errorOf({ GITLAB_INSTANCES: 'corp', GITLAB_CORP_URL: 'https://gitlab.corp.example', GITLAB_CORP_WEBHOOK_SIGNING_KEY: 'not-a-key-value' });
    expect(bad.message).toContain('GITLAB_CORP_WEBHOOK_SIGNING_KEY must look like whsec_');
    expect(bad.message).not.toContain('not-a-key-value');
    expect(errorOf({ GITLAB_INSTANCES: 'corp', GITLAB_CORP_URL: 'https://gitlab.corp.example', GITLAB_CORP_OAUTH_SCOPES: 'write' }).message).toContain('GITLAB_CORP_OAUTH_SCOPES must be api or read_api');
  });

  it('refuses one GitLab configured twice, and a webhook secret two instances share', () => {
    expect(errorOf({ GITLAB_URL: 'https://gitlab.corp.example', GITLAB_INSTANCES: 'corp', GITLAB_CORP_URL: 'https://gitlab.corp.example/' }).message).toContain(
      'two GitLab instances have the URL https://gitlab.corp.example',
    );
    const shared = errorOf({ ...corp, GITLAB_CORP_WEBHOOK_SECRET: 'corp-hook,default-secret' });
    expect(shared.message).toContain('GITLAB_WEBHOOK_SECRET and GITLAB_CORP_WEBHOOK_SECRET share a value');
    expect(shared.message).not.toContain('default-secret');
  });
});

describe('environment with a .env file', () => {
  const dir = mkdtempSync(path.join(process.env.TEST_WORK_ROOT ?? os.tmpdir(), 'env-'));
  writeFileSync(path.join(dir, '.env'), 'MATTERMOST_URL=http://from-file:8065\nPORT=4100\n# comment\nLOG_LEVEL="debug"\n');

  it('reads .env from the working directory, under the real environment', () => {
    const env = readEnvironment({ PORT: '4200' }, dir);
    const config = parseConfig(env, dir);
    expect(config.mattermost.url).toBe('http://from-file:8065');
    expect(config.port).toBe(4200);
    expect(config.logLevel).toBe('debug');
  });

  it('works without a .env file', () => {
    expect(readEnvironment({ PORT: '1' }, os.tmpdir() + '/no-such-dir')).toEqual({ PORT: '1' });
  });
});
