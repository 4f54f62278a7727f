import { describe, expect, it } from '@jest/globals';
import { checkSettings, type ServiceSettings } from '../../../server/src/mattermost/check-settings.js';

const healthy: ServiceSettings = {
  SiteURL: 'https://chat.example.com',
  EnableCommands: true,
  EnableBotAccountCreation: true,
  EnableUserAccessTokens: true,
  AllowedUntrustedInternalConnections: '',
};
const problems = (settings: ServiceSettings, internalUrl = 'https://bridge.example.net:3501') =>
  checkSettings(settings, internalUrl).filter((verdict) => !verdict.ok);

describe('checkSettings', () => {
  it('passes a Mattermost set up for the bridge (a public bridge host needs no allow-listing)', () => {
    expect(problems(healthy, 'http://203.0.113.7:3501')).toEqual([]);
  });

  it('names each switched-off setting with the mmctl command that turns it on', () => {
    const found = problems({ ...healthy, EnableCommands: false, EnableUserAccessTokens: false }, 'http://203.0.113.7:3501');
    expect(found.map((verdict) => verdict.setting)).toEqual(['EnableCommands', 'EnableUserAccessTokens']);
    expect(found[0]!.fix).toContain('mmctl config set ServiceSettings.EnableCommands true');
  });

  it('asks for SiteURL when it is empty', () => {
    expect(problems({ ...healthy, SiteURL: '' }, 'http://203.0.113.7:3501').map((verdict) => verdict.setting)).toEqual(['SiteURL']);
  });

  it('requires a loopback or private INTERNAL_URL host to be allowed, keeping what is already listed', () => {
    const [verdict] = problems({ ...healthy, AllowedUntrustedInternalConnections: 'gitlab.internal' }, 'http://127.0.0.1:3501');
    expect(verdict!.setting).toBe('AllowedUntrustedInternalConnections');
    expect(verdict!.fix).toContain('"gitlab.internal 127.0.0.1"');
    expect(problems({ ...healthy, AllowedUntrustedInternalConnections: 'gitlab.internal 127.0.0.1' }, 'http://127.0.0.1:3501')).toEqual([]);
    expect(problems({ ...healthy, AllowedUntrustedInternalConnections: '10.0.0.0/8,other' }, 'http://10.1.2.3:3501')).toEqual([]);
    expect(problems({ ...healthy, AllowedUntrustedInternalConnections: '10.0.0.0/8' }, 'http://192.168.1.9:3501')).toHaveLength(1);
  });

  it('requires a host name to be listed, since Mattermost checks the address it resolves to', () => {
    expect(problems(healthy, 'http://gitlab-bridge:3501')).toHaveLength(1);
    expect(problems({ ...healthy, AllowedUntrustedInternalConnections: 'GitLab-Bridge' }, 'http://gitlab-bridge:3501')).toEqual([]);
  });
});
