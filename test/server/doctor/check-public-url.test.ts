/** What tells this bridge's public listener from whatever else answers at PUBLIC_URL. */
import { describe, expect, it } from '@jest/globals';
import { judgePublicAnswer } from '../../../server/src/doctor/check-public-url.js';

const URL = 'https://chat.example.com/plugins/gitlab-bridge/webhook';

describe('judgePublicAnswer', () => {
  it("is ok when the bridge's webhook door answers", () => {
    expect(judgePublicAnswer(URL, 405, { error: 'webhooks are delivered with POST', code: 'method_not_allowed' })).toMatchObject({ status: 'ok' });
  });

  it('fails when something else answers, with the reverse-proxy fix', () => {
    for (const [status, body] of [[404, { id: 'api.context.404.app_error' }], [200, undefined], [405, { message: 'Method Not Allowed' }]] as const) {
      expect(judgePublicAnswer(URL, status, body)).toMatchObject({ status: 'fail', detail: expect.stringContaining(`answered ${status}`), fix: expect.stringContaining('Reverse proxy') });
    }
  });
});
