import { describe, expect, it } from '@jest/globals';
import { mentionedUsernames, newMentions } from '../../../server/src/rules/mentions.js';

describe('mentions in GitLab text', () => {
  it('finds @usernames, lower-cased, once each, without a sentence full stop', () => {
    expect(mentionedUsernames('Ping @Alice, @bob.smith and @carol-d. Thanks @Alice!')).toEqual(['alice', 'bob.smith', 'carol-d']);
  });

  it('ignores code, e-mail addresses, URLs, group paths and @all', () => {
    const text = ['`@inline` and me@example.com', 'https://gitlab.example/@user/x', '@group/sub @all', '```', '@fenced', '```', 'but @real'].join('\n');
    expect(mentionedUsernames(text)).toEqual(['real']);
  });

  it('an edit reports only the mentions it added', () => {
    expect(newMentions('cc @a @b', 'cc @a @b @c')).toEqual(['c']);
    expect(newMentions('cc @a @b', 'cc @a')).toEqual([]);
    expect(newMentions(null, 'cc @a')).toEqual(['a']);
  });
});
