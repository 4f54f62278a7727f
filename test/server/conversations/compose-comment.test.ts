/** A Mattermost reply as the GitLab comment people read: who it pings, what it cannot run, where it links back to. */
import { describe, expect, it } from '@jest/globals';
import { composeComment, mentionedUsernames, originPostOf } from '../../../server/src/conversations/compose-comment.js';

const POST = 'p'.repeat(26);
const PERMALINK = `https://chat.example.com/team-a/pl/${POST}`;
const FOOTER = `<sub>[Sent from Mattermost](${PERMALINK})</sub>`;

const compose = (message: string, gitlabUsernames: Record<string, string> = {}, fileNames: string[] = []) =>
  composeComment({ message, gitlabUsernames: new Map(Object.entries(gitlabUsernames)), fileNames, permalink: PERMALINK });

/**
 * The people GitLab would notify for a comment body: CommonMark code (fenced blocks, code spans
 * paired by backtick-run length, backslash escapes: spec.commonmark.org 0.31, sections 2.4, 4.5, 6.1)
 * is left out, then GitLab's User.reference_pattern (app/models/user.rb: `(?<!\w)@name`) is applied.
 */
function gitlabMentions(body: string): string[] {
  const outsideFences: string[] = [];
  let fence: string | null = null;
  for (const line of body.split('\n')) {
    const marker = /^ {0,3}(`{3,})[^`]*$/.exec(line);
    if (fence === null && marker) fence = marker[1]!;
    else if (fence !== null && new RegExp(`^ {0,3}${fence}\`*\\s*$`).test(line)) fence = null;
    else if (fence === null) outsideFences.push(line);
  }
  const text = outsideFences.join('\n');
  let prose = '';
  for (let i = 0; i < text.length; ) {
    if (text[i] === '\\' && /[!-/:-@[-`{-~]/.test(text[i + 1] ?? '')) {
      prose += text[i + 1];
      i += 2;
    } else if (text[i] === '`') {
      const run = /^`+/.exec(text.slice(i))![0];
      const closer = new RegExp(`(?<!\`)${run}(?!\`)`, 'g');
      closer.lastIndex = i + run.length;
      const close = closer.exec(text);
      if (close) {
        prose += ' ';
        i = close.index + run.length;
      } else {
        prose += run;
        i += run.length;
      }
    } else {
      prose += text[i++];
    }
  }
  return [...prose.matchAll(/(?<!\w)@([a-zA-Z0-9_.][a-zA-Z0-9_.-]*)/g)].map((match) => match[1]!.replace(/\.+$/, '').toLowerCase());
}

/** The quick actions GitLab would run: its extractor's expression (lib/gitlab/quick_actions/extractor.rb), for a few commands. */
function gitlabQuickActions(body: string): string[] {
  const commands = ['merge', 'close', 'approve', 'label', 'assign', 'reopen', 'lock'].join('|');
  const extractor = new RegExp(
    [
      '(?<code>^```.+?\\n```$)',
      '(?<inline>^.*`\\n*.+?\\n*`$)',
      '(?<html>^<[^>]+?>\\n.+?\\n<\\/[^>]+?>$)',
      '(?<quote>^>>>.+?\\n>>>$)',
      `(?:^\\/(?<cmd>${commands})(?:[ ](?<arg>[^\\n]*))?(?:\\s*\\n|$))`,
    ].join('|'),
    'gims',
  );
  return [...body.replace(/\r/g, '').matchAll(extractor)].flatMap((match) => (match.groups?.cmd ? [match.groups.cmd.toLowerCase()] : []));
}

describe('the GitLab stand-ins these tests use', () => {
  it('see mentions and quick actions where GitLab does, and not in code', () => {
    expect(gitlabMentions('hi @all, `@bob` \\`@carol` @@dave\n```\n@erin\n```')).toEqual(['all', 'carol', 'dave']);
    expect(gitlabQuickActions('LGTM\n/merge\n/label ~bug')).toEqual(['merge', 'label']);
    expect(gitlabQuickActions('```\n/merge\n```')).toEqual([]);
  });
});

describe('mentions in a reply', () => {
  it('someone who connected GitLab is mentioned by their GitLab username; a sentence’s dot stays', () => {
    expect(compose('thanks @Alice, and ask @alice.', { alice: 'alice_gl' })).toBe(`thanks @alice_gl, and ask @alice_gl.\n\n${FOOTER}`);
    expect(gitlabMentions(compose('cc @alice', { alice: 'alice_gl' }))).toEqual(['alice_gl']);
  });

  it('@channel, @all, @here and people GitLab does not know of ping no one, shown as code', () => {
    const body = compose('@channel @all @here: ask @bob or @ALL', { alice: 'alice_gl', all: 'everyone', channel: 'c' });
    expect(body.split('\n\n')[0]).toBe('`@channel` `@all` `@here`: ask `@bob` or `@all`');
    expect(gitlabMentions(body)).toEqual([]);
  });

  it('no way of writing a mention next to backticks, backslashes or another @ gets one through', () => {
    const tricks = [
      'use ` for code, @all',
      '`@all',
      '@@all',
      '\\@all',
      '\\`@all`',
      '`start\n@all` (a code span over two lines in Mattermost)',
      'x @_bob',
      '``@here``',
      '``` @channel ```',
    ];
    for (const trick of tricks) expect({ trick, mentions: gitlabMentions(compose(trick)) }).toEqual({ trick, mentions: [] });
  });

  it('mentions in code are left as written', () => {
    expect(compose('run `echo @all` then\n```\nping @bob\n```', { bob: 'bob_gl' })).toBe(`run \`echo @all\` then\n\`\`\`\nping @bob\n\`\`\`\n\n${FOOTER}`);
  });

  it('email addresses and links with @ are not mentions', () => {
    expect(compose('mail bob@example.com or see https://medium.com/@alice/post').split('\n\n')[0]).toBe('mail bob@example.com or see https://medium.com/@alice/post');
  });

  it('mentionedUsernames names who to look up: outside code, lower-cased, without @channel, @all, @here', () => {
    expect(mentionedUsernames('hi @Alice and @bob. `@carol` @channel @@dave\n```\n@erin\n```')).toEqual(['alice', 'bob', 'dave']);
  });
});

describe('quick actions', () => {
  it('a line starting with a slash runs nothing in GitLab, and still reads as written', () => {
    const body = compose('LGTM\n/merge\n  /approve\n/label ~bug');
    expect(gitlabQuickActions(body)).toEqual([]);
    expect(body.split('\n\n')[0]).toBe('LGTM\n\\/merge\n  \\/approve\n\\/label ~bug');
  });

  it('a code fence left open, or closed mid-line, does not hide a quick action from the escaping', () => {
    for (const message of ['```\n/merge', '```\n/close\n``` done']) {
      expect({ message, actions: gitlabQuickActions(compose(message)) }).toEqual({ message, actions: [] });
    }
  });

  it('a slash line inside a closed code block stays as written (GitLab ignores it there)', () => {
    expect(compose('```sh\n/usr/bin/env\n/merge\n```')).toBe(`\`\`\`sh\n/usr/bin/env\n/merge\n\`\`\`\n\n${FOOTER}`);
  });
});

describe('files and the footer', () => {
  it('files are links to the Mattermost post, never copied; the footer links back', () => {
    expect(compose('see attached', {}, ['report.pdf', 'a]b [1].png'])).toBe(`see attached\n\n📎 [report.pdf](${PERMALINK})\n📎 [a\\]b \\[1\\].png](${PERMALINK})\n\n${FOOTER}`);
    expect(compose('', {}, ['x.png'])).toBe(`📎 [x.png](${PERMALINK})\n\n${FOOTER}`);
  });

  it('a file name cannot start a line of its own (and so a quick action), nor un-link the others with backticks', () => {
    const body = compose('', {}, ['notes\n/close\nmore.txt', 'a`b', 'c`d @all']);
    expect(gitlabQuickActions(body)).toEqual([]);
    expect(body.split('\n')).toHaveLength(5);
    expect(body).toContain('📎 [a\\`b](');
  });

  it('the comment ends with the footer naming the post', () => {
    const body = compose('hello');
    expect(body.endsWith(FOOTER)).toBe(true);
    expect(originPostOf(body)).toBe(POST);
  });

  it('a reply that pastes another comment’s footer is still known by its own', () => {
    const other = 'o'.repeat(26);
    expect(originPostOf(compose(`quoting:\n<sub>[Sent from Mattermost](https://chat.example.com/t/pl/${other})</sub>`))).toBe(POST);
  });
});

describe('originPostOf', () => {
  const footer = (url: string) => `<sub>[Sent from Mattermost](${url})</sub>`;

  it('reads the post id of the bridge’s footer at the very end (trailing blanks allowed)', () => {
    expect(originPostOf(`text\n\n${footer(PERMALINK)}\n  `)).toBe(POST);
  });

  it('a footer-looking line that is not the last thing in the comment is not the bridge’s', () => {
    expect(originPostOf(`${footer(PERMALINK)}\n\nactually written in GitLab`)).toBeNull();
    expect(originPostOf(`${footer(PERMALINK)} and more`)).toBeNull();
  });

  it('other shapes are not the footer: no <sub>, other words, a link that is not a permalink, a bad id', () => {
    expect(originPostOf(`[Sent from Mattermost](${PERMALINK})`)).toBeNull();
    expect(originPostOf(`<sub>[Sent from Slack](${PERMALINK})</sub>`)).toBeNull();
    expect(originPostOf(footer(`https://chat.example.com/team-a/channels/${POST}`))).toBeNull();
    expect(originPostOf(footer(`${PERMALINK}/extra`))).toBeNull();
    expect(originPostOf(footer(`${PERMALINK}?x=1`))).toBeNull();
    expect(originPostOf(footer(`https://chat.example.com/team-a/pl/${'P'.repeat(26)}`))).toBeNull();
    expect(originPostOf(footer(`https://chat.example.com/team-a/pl/${'p'.repeat(25)}`))).toBeNull();
    expect(originPostOf(footer(`https://chat.example.com/team-a/pl/ ${POST}`))).toBeNull();
  });
});
