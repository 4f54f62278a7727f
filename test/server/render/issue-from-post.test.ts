import { describe, expect, it } from '@jest/globals';
import { postPermalink, quotePost, threadReply, titleFitsChannel } from '../../../server/src/render/issue-from-post.js';

describe('quotePost', () => {
  it('quotes the post as it is, then names its author without a mention and links it', () => {
    const text = quotePost({ message: 'Hi @team\r\n\r\n[x](javascript:1)', authorUsername: 'bob', permalink: 'https://mm.example.com/alpha/pl/p1' }, '  Look  ');
    expect(text).toBe('Look\n\n> Hi @team\n>\n> [x](javascript:1)\n\nPosted by **bob** in Mattermost: https://mm.example.com/alpha/pl/p1');
  });
});

describe('postPermalink', () => {
  it("is the team's permalink, or Mattermost's redirect without a team", () => {
    expect(postPermalink('https://mm.example.com/', 'alpha', 'p1')).toBe('https://mm.example.com/alpha/pl/p1');
    expect(postPermalink('https://mm.example.com', null, 'p1')).toBe('https://mm.example.com/_redirect/pl/p1');
  });
});

describe('threadReply', () => {
  it('links the issue with GitLab text that pings nobody and forges nothing', () => {
    const issue = { reference: 'g/p#1', title: '@all see [this](https://evil.example.com)', url: 'https://gitlab.example.com/g/p/-/issues/1' };
    const reply = threadReply('created', 'alice_b', issue);
    expect(reply).toBe('alice\\_b created GitLab issue [g/p#1: @\u200Ball see \\[this\\]\\(https://evil.example.com\\)](https://gitlab.example.com/g/p/-/issues/1) from this post.');
    expect(threadReply('attached', 'alice', issue, `${issue.url}#note_5`)).toContain('([comment](https://gitlab.example.com/g/p/-/issues/1#note_5))');
  });
});

describe('titleFitsChannel', () => {
  it('never shows a confidential title, and shows one not everyone may read only outside public channels', () => {
    for (const type of ['O', 'P', 'D', 'G']) expect(titleFitsChannel({ confidential: true }, true, type)).toBe(false);
    expect(titleFitsChannel({}, true, 'P')).toBe(false);
    expect(titleFitsChannel({ confidential: false }, true, 'O')).toBe(true);
    expect(titleFitsChannel({ confidential: false }, false, 'O')).toBe(false);
    expect(titleFitsChannel({ confidential: false }, false, 'P')).toBe(true);
  });

  it('names the issue by its reference alone when the title does not fit', () => {
    const reply = threadReply('created', 'alice', { reference: 'g/p#2', title: null, url: 'https://gitlab.example.com/g/p/-/issues/2' });
    expect(reply).toBe('alice created GitLab issue [g/p#2](https://gitlab.example.com/g/p/-/issues/2) from this post.');
  });
});
