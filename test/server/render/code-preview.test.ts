import { describe, expect, it } from '@jest/globals';
import type { CodeSnippet } from '../../../server/src/previews/fetch-code.js';
import { MAX_CODE_CHARS, renderCodePreviews } from '../../../server/src/render/code-preview.js';

const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const snippet = (overrides: Partial<CodeSnippet> = {}): CodeSnippet => ({
  project: 'group/sub/project',
  path: 'src/app.ts',
  fileName: 'app.ts',
  ref: 'main',
  commitId: COMMIT,
  language: 'typescript',
  startLine: 10,
  endLine: 12,
  lines: ['const a = 1;', '@all hello', 'export {};'],
  moreLines: 0,
  permalink: `https://gitlab.example.com/group/sub/project/-/blob/${COMMIT}/src/app.ts#L10-12`,
  ...overrides,
});

describe('renderCodePreviews', () => {
  it('says where the code comes from and fences it with its language and a link to the pinned lines', () => {
    expect(renderCodePreviews([snippet()])).toBe(
      [
        `[\`src/app.ts\`](https://gitlab.example.com/group/sub/project/-/blob/${COMMIT}/src/app.ts#L10-12) lines 10–12 in \`group/sub/project\`, on \`main\` at \`01234567\``,
        '```typescript',
        'const a = 1;',
        '@all hello',
        'export {};',
        '```',
      ].join('\n'),
    );
  });

  it('counts the lines not shown and links to them', () => {
    const text = renderCodePreviews([snippet({ moreLines: 12, startLine: 4, endLine: 4, lines: ['x'], ref: COMMIT })]);
    expect(text).toContain('line 4 in');
    expect(text).toContain(`at \`01234567\``);
    expect(text).not.toContain('on `');
    expect(text).toMatch(/12 more lines: \[see them in GitLab\]\(https:\/\/gitlab\.example\.com\/.*#L10-12\)$/);
  });

  it('chooses a fence longer than any run of backticks in the code, so the code cannot end it', () => {
    const text = renderCodePreviews([snippet({ lines: ['```', 'still code', '`````js', '```'] })]);
    const fence = '``````';
    expect(text.split('\n')[1]).toBe(`${fence}typescript`);
    expect(text.split('\n').at(-1)).toBe(fence);
  });

  it('breaks up mentions in code that would end Mattermost’s code stripping early, and only then', () => {
    const guarded = renderCodePreviews([snippet({ lines: ['```', '@channel look', 'ping @alice'] })]);
    expect(guarded).not.toMatch(/@channel|@alice/);
    expect(guarded).toContain('@\u200Bchannel look');
    expect(renderCodePreviews([snippet()])).toContain('\n@all hello\n');
  });

  it('keeps the path and project from pinging or forming links', () => {
    const header = renderCodePreviews([snippet({ path: 'docs/@here/`x`.md', project: 'g/@all' })]).split('\n')[0]!;
    expect(header).not.toMatch(/@here|@all/);
    expect(header).toContain('@\u200Bhere');
    expect(header).not.toContain('`x`');
  });

  it('keeps each snippet’s code within its share of a post', () => {
    const lines = Array.from({ length: 30 }, () => 'z'.repeat(400));
    const text = renderCodePreviews([snippet({ lines, startLine: 1, endLine: 30 })]);
    const code = text.split('\n').filter((line) => line.startsWith('zzz'));
    expect(code.join('\n').length).toBeLessThanOrEqual(MAX_CODE_CHARS);
    expect(text).toContain(`lines 1–${code.length} in`);
    expect(text).toContain(`${30 - code.length} more lines`);
  });
});
