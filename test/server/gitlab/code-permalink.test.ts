import { describe, expect, it } from '@jest/globals';
import { findCodeLinks, parseCodeLink } from '../../../server/src/gitlab/code-permalink.js';

const gitlab = 'https://gitlab.example.com';
const SHA = 'a'.repeat(40);

describe('parseCodeLink', () => {
  it('reads the project at any group depth, the ref and path, and the lines in each way they are written', () => {
    expect(parseCodeLink(`${gitlab}/a/b/c/Project/-/blob/main/src/app.ts#L10-25`, gitlab)).toEqual({
      url: `${gitlab}/a/b/c/Project/-/blob/main/src/app.ts#L10-25`,
      project: 'a/b/c/Project',
      splits: [
        { ref: 'main', path: 'src/app.ts' },
        { ref: 'main/src', path: 'app.ts' },
      ],
      startLine: 10,
      endLine: 25,
    });
    expect(parseCodeLink(`${gitlab}/group/project/-/blob/main/README.md#L7`, gitlab)).toMatchObject({ startLine: 7, endLine: 7, splits: [{ ref: 'main', path: 'README.md' }] });
    expect(parseCodeLink(`${gitlab}/group/project/-/blob/main/a.ts#L10-L25`, gitlab)).toMatchObject({ startLine: 10, endLine: 25 });
    expect(parseCodeLink(`${gitlab}/group/project/-/blob/main/a.ts#L25-10`, gitlab)).toMatchObject({ startLine: 10, endLine: 25 });
    expect(parseCodeLink(`${gitlab}/group/project/-/blob/main/a.ts?ref_type=heads#L3`, gitlab)).toMatchObject({ startLine: 3, splits: [{ ref: 'main', path: 'a.ts' }] });
  });

  it('offers every split of a branch with slashes, shortest ref first, and one split for a SHA', () => {
    expect(parseCodeLink(`${gitlab}/g/p/-/blob/feature/login/src/app.ts#L1`, gitlab)!.splits).toEqual([
      { ref: 'feature', path: 'login/src/app.ts' },
      { ref: 'feature/login', path: 'src/app.ts' },
      { ref: 'feature/login/src', path: 'app.ts' },
    ]);
    expect(parseCodeLink(`${gitlab}/g/p/-/blob/${SHA.toUpperCase()}/src/app.ts#L1`, gitlab)!.splits).toEqual([{ ref: SHA, path: 'src/app.ts' }]);
    expect(parseCodeLink(`${gitlab}/g/p/-/blob/${'b'.repeat(64)}/x/y.go#L1`, gitlab)!.splits).toEqual([{ ref: 'b'.repeat(64), path: 'x/y.go' }]);
  });

  it('decodes the path, and works under a relative URL root', () => {
    expect(parseCodeLink(`${gitlab}/g/p/-/blob/main/docs/my%20notes%20%C3%A9.md#L2`, gitlab)!.splits[0]).toEqual({ ref: 'main', path: 'docs/my notes é.md' });
    expect(parseCodeLink('https://example.com/gitlab/g/p/-/blob/main/a.ts#L1', 'https://example.com/gitlab')).toMatchObject({ project: 'g/p' });
    expect(parseCodeLink('https://example.com/other/g/p/-/blob/main/a.ts#L1', 'https://example.com/gitlab')).toBeNull();
  });

  it('ignores other hosts, links without lines, other pages and odd paths', () => {
    for (const url of [
      'https://gitlab.com/group/project/-/blob/main/a.ts#L1',
      'https://gitlab.example.com.evil.org/group/project/-/blob/main/a.ts#L1',
      'https://user:pw@gitlab.example.com/group/project/-/blob/main/a.ts#L1',
      `${gitlab}/group/project/-/blob/main/a.ts`,
      `${gitlab}/group/project/-/blob/main/a.ts#L0`,
      `${gitlab}/group/project/-/blob/main/a.ts#note_1`,
      `${gitlab}/group/project/-/blob/main#L1`,
      `${gitlab}/group/project/-/tree/main/src#L1`,
      `${gitlab}/project/-/blob/main/a.ts#L1`,
      `${gitlab}/groups/g/-/blob/main/a.ts#L1`,
      `${gitlab}/group/project/-/blob/main/../secret.ts#L1`,
      `${gitlab}/group/project/-/blob/main/%E0%A4%A.ts#L1`,
      `ftp://gitlab.example.com/group/project/-/blob/main/a.ts#L1`,
      'not a url',
    ]) {
      expect([url, parseCodeLink(url, gitlab)]).toEqual([url, null]);
    }
  });
});

describe('findCodeLinks', () => {
  it('finds bare links, Markdown links and autolinks, each once, at most three', () => {
    const a = `${gitlab}/g/p/-/blob/main/a.ts#L1-2`;
    const b = `${gitlab}/g/p/-/blob/main/b.ts#L3`;
    const c = `${gitlab}/g/p/-/blob/main/c.ts#L4`;
    const d = `${gitlab}/g/p/-/blob/main/d.ts#L5`;
    const found = findCodeLinks(`See ${a}, and [this](${b}) or <${c}>. Again: ${a}. Also ${d}`, gitlab);
    expect(found.map((link) => link.url)).toEqual([a, b, c]);
  });

  it('leaves links in code and links to other hosts alone', () => {
    const message = [
      'Quoted: `https://gitlab.example.com/g/p/-/blob/main/a.ts#L1`',
      '```',
      'https://gitlab.example.com/g/p/-/blob/main/b.ts#L1',
      '```',
      'Elsewhere: https://gitlab.com/g/p/-/blob/main/c.ts#L1',
      'Mine: https://gitlab.example.com/g/p/-/blob/main/d.ts#L9',
    ].join('\n');
    expect(findCodeLinks(message, gitlab).map((link) => link.splits[0]!.path)).toEqual(['d.ts']);
    expect(findCodeLinks('no links here', gitlab)).toEqual([]);
    expect(findCodeLinks('```\nunclosed https://gitlab.example.com/g/p/-/blob/main/b.ts#L1', gitlab)).toEqual([]);
  });

  it('takes a code span to end at the next run of as many backticks, and an unclosed one as text', () => {
    const mine = `${gitlab}/g/p/-/blob/main/d.ts#L9`;
    expect(findCodeLinks(`\`a\`\`b ${gitlab}/g/p/-/blob/main/a.ts#L1\` ${mine}`, gitlab).map((link) => link.url)).toEqual([mine]);
    expect(findCodeLinks(`\`\` one \` ${gitlab}/g/p/-/blob/main/a.ts#L1 \`\` ${mine}`, gitlab).map((link) => link.url)).toEqual([mine]);
    expect(findCodeLinks(`\`\`\`\` not closed ${mine}`, gitlab).map((link) => link.url)).toEqual([mine]);
    expect(findCodeLinks(`${gitlab}/g/p/-/blob/main/a.ts#L1,${mine}`, gitlab).map((link) => link.url)).toEqual([`${gitlab}/g/p/-/blob/main/a.ts#L1`, mine]);
  });

  // Every post the bot sees is read: one that took seconds would hold up every other event (65,535 is the
  // largest post Mattermost can be configured to take, MaxPostSize).
  it('reads the longest pathological posts in a few milliseconds', () => {
    const long = (unit: string) => unit.repeat(Math.ceil(65_535 / unit.length)).slice(0, 65_535);
    for (const message of [
      long('`'),
      long('~'),
      long('`a'),
      long(' '),
      long('#L'),
      long('/-/blob/'),
      long('http://'),
      long('https://a'),
      long(`${gitlab}/g/p/-/blob/#L`),
      long('```\n'),
      long('~~~~\n  '),
      `http://a#L${long('1')}`,
      Array.from({ length: 32 }, (_, index) => 'a'.repeat(2000) + '`'.repeat(index + 1)).join(''),
    ]) {
      const started = performance.now();
      findCodeLinks(message, gitlab);
      const took = performance.now() - started;
      expect([message.slice(0, 20), took < 100]).toEqual([message.slice(0, 20), true]);
    }
  });
});
