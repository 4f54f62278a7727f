/** The configuration check: an invalid value, missing settings, and the secrets kept out of the report. */
import { describe, expect, it } from '@jest/globals';
import { parseConfig } from '../../../server/src/config.js';
import { checkConfiguration, secretsOf } from '../../../server/src/doctor/check-configuration.js';

const complete = {
  MATTERMOST_URL: 'https://chat.example.com',
  MATTERMOST_BOT_TOKEN: 'bot-token-value',
  GITLAB_OAUTH_CLIENT_ID: 'id',
  GITLAB_OAUTH_CLIENT_SECRET: 'client-secret-value',
  GITLAB_WEBHOOK_SECRET: 'hook-secret-one,hook-secret-two',
  DATABASE_URL: 'postgres://bridge:db-password-value@db:5432/bridge',
  ENCRYPTION_KEY: 'ab'.repeat(32),
};

describe('checkConfiguration', () => {
  it('is ok with every required setting', () => {
    const { config, checks } = checkConfiguration(() => parseConfig(complete, '/srv'));
    expect(config).not.toBeNull();
    expect(checks).toEqual([{ check: 'configuration', status: 'ok', detail: 'valid, and every required setting is set' }]);
  });

  it('fails naming each missing setting and what it is for', () => {
    const { checks } = checkConfiguration(() => parseConfig({ ...complete, MATTERMOST_BOT_TOKEN: '', GITLAB_WEBHOOK_SECRET: ' ' }, '/srv'));
    expect(checks).toEqual([expect.objectContaining({ status: 'fail', detail: expect.stringMatching(/^not set: MATTERMOST_BOT_TOKEN \(the bot's access token.*\); GITLAB_WEBHOOK_SECRET \(/) })]);
  });

  it('turns an invalid value into a failed check instead of a crash, without repeating a secret', () => {
    const { config, checks } = checkConfiguration(() => parseConfig({ ...complete, ENCRYPTION_KEY: 'too-short-key-value' }, '/srv'));
    expect(config).toBeNull();
    expect(checks[0]).toMatchObject({ status: 'fail', detail: expect.stringContaining('ENCRYPTION_KEY must be 32 bytes') });
    expect(JSON.stringify(checks)).not.toContain('too-short-key-value');
  });
});

describe('secretsOf', () => {
  it('lists every secret value, the database password and both spellings of the key', () => {
    const secrets = secretsOf(parseConfig(complete, '/srv'));
    expect(secrets).toEqual(expect.arrayContaining(['bot-token-value', 'client-secret-value', 'hook-secret-one', 'hook-secret-two', 'db-password-value', 'ab'.repeat(32), Buffer.from('ab'.repeat(32), 'hex').toString('base64')]));
    expect(secrets).not.toContain('id');
  });
});
