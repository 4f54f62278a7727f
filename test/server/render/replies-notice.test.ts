/** The replies line on a thread's root: added when replies go to GitLab, between the root's text and its status. */
import { describe, expect, it } from '@jest/globals';
import { composeThreadRoot, REPLIES_NOTICE, showsRepliesNotice } from '../../../server/src/render/replies-notice.js';

describe('the replies line on a thread root', () => {
  it('leaves a root that does not send replies as it always was', () => {
    expect(composeThreadRoot('**!4** Fix it', { syncReplies: false })).toBe('**!4** Fix it');
    expect(composeThreadRoot('**!4** Fix it', { syncReplies: false, status: 'Status: **Open**' })).toBe('**!4** Fix it\n\nStatus: **Open**');
  });

  it('puts the line after the root’s text and before its status, as a paragraph of its own', () => {
    expect(composeThreadRoot('**!4** Fix it', { syncReplies: true })).toBe(`**!4** Fix it\n\n${REPLIES_NOTICE}`);
    expect(composeThreadRoot('**!4** Fix it', { syncReplies: true, status: 'Status: **Merged**' })).toBe(`**!4** Fix it\n\n${REPLIES_NOTICE}\n\nStatus: **Merged**`);
  });

  it('is one short line that pings nobody, and can be recognised on a posted root', () => {
    expect(REPLIES_NOTICE).not.toContain('\n');
    expect(REPLIES_NOTICE.length).toBeLessThan(120);
    expect(REPLIES_NOTICE).not.toMatch(/@/);
    expect(showsRepliesNotice(composeThreadRoot('root', { syncReplies: true, status: 'Status: **Open**' }))).toBe(true);
    expect(showsRepliesNotice(composeThreadRoot('root', { syncReplies: false, status: 'Status: **Open**' }))).toBe(false);
    // Quoted inside someone's text is not the root's own line.
    expect(showsRepliesNotice(`Someone wrote: ${REPLIES_NOTICE}`)).toBe(false);
  });
});
