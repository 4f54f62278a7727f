/** Where a connect link sends a browser that is not signed in to Mattermost, and that it never leaves Mattermost's site. */
import { describe, expect, it } from '@jest/globals';
import { mattermostLoginUrl } from '../../../server/src/http/mattermost-login.js';

const back = (url: string | null) => (url ? new URL(url).searchParams.get('redirect_to') : null);

describe('the Mattermost login that leads back to a connect link', () => {
  it('is the site login with redirect_to relative to the site, as Mattermost follows it', () => {
    const url = mattermostLoginUrl('https://chat.example.com', 'https://chat.example.com/plugins/gitlab-bridge', '/oauth/connect?link=abc_-1');
    expect(url).toBe('https://chat.example.com/login?redirect_to=%2Fplugins%2Fgitlab-bridge%2Foauth%2Fconnect%3Flink%3Dabc_-1');
    expect(back(url)).toBe('/plugins/gitlab-bridge/oauth/connect?link=abc_-1');
  });

  it('keeps a sub-path install on its sub-path (redirect_to is relative to the site URL)', () => {
    const url = mattermostLoginUrl('https://example.com/chat/', 'https://example.com/chat/plugins/gitlab-bridge/', '/oauth/connect?link=x');
    expect(url).toMatch(/^https:\/\/example\.com\/chat\/login\?/);
    expect(back(url)).toBe('/plugins/gitlab-bridge/oauth/connect?link=x');
  });

  it('gives nothing when the bridge is not on the Mattermost site, where the session cookie cannot reach it', () => {
    expect(mattermostLoginUrl('https://chat.example.com', 'https://bridge.example.com/plugins/gitlab-bridge', '/oauth/connect?link=x')).toBeNull();
    expect(mattermostLoginUrl('https://chat.example.com', 'http://chat.example.com/plugins/gitlab-bridge', '/oauth/connect?link=x')).toBeNull();
    expect(mattermostLoginUrl('https://example.com/chat', 'https://example.com/chatter/plugins/gitlab-bridge', '/oauth/connect?link=x')).toBeNull();
    expect(mattermostLoginUrl(undefined, 'https://chat.example.com/plugins/gitlab-bridge', '/oauth/connect?link=x')).toBeNull();
  });

  it('never builds a path that leaves the site', () => {
    expect(mattermostLoginUrl('https://chat.example.com', 'https://chat.example.com', '//evil.example/')).toBeNull();
    expect(mattermostLoginUrl('https://chat.example.com', 'https://chat.example.com', '/\\evil.example/')).toBeNull();
  });
});
