/** Where a connect link sends a browser that is not signed in to Mattermost, and that it never leaves Mattermost's site. */
import { describe, expect, it } from '@jest/globals';
import { connectLoginUrl } from '../../../server/src/http/mattermost-login.js';

const back = (url: string | null) => (url ? new URL(url).searchParams.get('redirect_to') : null);

describe('the Mattermost login that leads back to a connect link', () => {
  it("is the site login with redirect_to on the webapp plugin's route, which Mattermost's app renders after any login", () => {
    const url = connectLoginUrl('https://chat.example.com', 'https://chat.example.com/plugins/gitlab-bridge', 'abc_-1');
    expect(url).toBe('https://chat.example.com/login?redirect_to=%2Fplug%2Fgitlab-bridge%2Fconnect%3Flink%3Dabc_-1');
    expect(back(url)).toBe('/plug/gitlab-bridge/connect?link=abc_-1');
  });

  it('keeps a sub-path install on its sub-path (redirect_to is relative to the site URL)', () => {
    const url = connectLoginUrl('https://example.com/chat/', 'https://example.com/chat/plugins/gitlab-bridge/', 'x');
    expect(url).toMatch(/^https:\/\/example\.com\/chat\/login\?/);
    expect(back(url)).toBe('/plug/gitlab-bridge/connect?link=x');
  });

  it("leads straight to a bridge elsewhere on the site, where the plugin's route would not find it", () => {
    expect(back(connectLoginUrl('https://example.com/chat', 'https://example.com/chat/gitlab', 'x'))).toBe('/gitlab/oauth/connect?link=x');
  });

  it('gives nothing when the bridge is not on the Mattermost site, where the session cookie cannot reach it', () => {
    expect(connectLoginUrl('https://chat.example.com', 'https://bridge.example.com/plugins/gitlab-bridge', 'x')).toBeNull();
    expect(connectLoginUrl('https://chat.example.com', 'http://chat.example.com/plugins/gitlab-bridge', 'x')).toBeNull();
    expect(connectLoginUrl('https://example.com/chat', 'https://example.com/chatter/plugins/gitlab-bridge', 'x')).toBeNull();
    expect(connectLoginUrl(undefined, 'https://chat.example.com/plugins/gitlab-bridge', 'x')).toBeNull();
  });

  it('never builds a path that leaves the site, whatever the link holds', () => {
    expect(back(connectLoginUrl('https://chat.example.com', 'https://chat.example.com/plugins/gitlab-bridge', '//evil.example/&next=/x'))).toBe(
      '/plug/gitlab-bridge/connect?link=%2F%2Fevil.example%2F%26next%3D%2Fx',
    );
    // A PUBLIC_URL whose path begins `//` (`/\\` parses the same) would give a protocol-relative redirect_to.
    expect(connectLoginUrl('https://chat.example.com', 'https://chat.example.com//evil.example', 'x')).toBeNull();
  });
});
