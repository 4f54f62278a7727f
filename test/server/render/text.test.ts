import { describe, expect, it } from '@jest/globals';
import { safeUrl } from '../../../server/src/render/links.js';
import { code, escapeMarkdown, excerpt, guardLineStart, inline, neutraliseMentions } from '../../../server/src/render/text.js';

const PINGS = /(^|[^\w])@(channel|all|here|someone)\b/i;

describe('neutraliseMentions', () => {
  it('breaks every @mention, keeping the text readable', () => {
    const out = neutraliseMentions('@channel @ALL hi @here, ping @someone.else and @user_1');
    expect(out).not.toMatch(PINGS);
    expect(out).not.toMatch(/@\w/);
    expect(out.replace(/\u200B/g, '')).toBe('@channel @ALL hi @here, ping @someone.else and @user_1');
  });

  it('leaves a lone @ and e-mail-like text legible', () => {
    expect(neutraliseMentions('meet @ 5')).toBe('meet @ 5');
    expect(neutraliseMentions('a@b.c').replace(/\u200B/g, '')).toBe('a@b.c');
  });
});

describe('escapeMarkdown', () => {
  it('leaves no link, image, autolink or HTML', () => {
    const out = escapeMarkdown('[x](http://evil) ![i](http://evil/img) <http://evil> <img src=x> **b** `c` ~~s~~ a|b &amp;');
    expect(out).toBe(
      '\\[x\\]\\(http://evil\\) !\\[i\\]\\(http://evil/img\\) \\<http://evil\\> \\<img src=x\\> \\*\\*b\\*\\* \\`c\\` \\~\\~s\\~\\~ a\\|b \\&amp;',
    );
  });

  it('puts everything on one line', () => {
    expect(escapeMarkdown('a\n\n# b\r\nc')).toBe('a # b c');
  });
});

describe('guardLineStart', () => {
  it('keeps a line from becoming a heading or list', () => {
    expect(guardLineStart('# Big')).toBe('\\# Big');
    expect(guardLineStart('- item')).toBe('\\- item');
    expect(guardLineStart('1. item')).toBe('1\\. item');
    expect(guardLineStart('Plain #1')).toBe('Plain #1');
  });
});

describe('inline and code', () => {
  it('inline text is escaped, neutralised, one line and bounded', () => {
    const out = inline(`@all [x](http://evil)\n${'y'.repeat(500)}`, 50);
    expect(out).not.toMatch(PINGS);
    expect(out).not.toContain('\n');
    expect(out).toContain('\\[x\\]');
    expect(out.length).toBeLessThan(70);
    expect(out.endsWith('…')).toBe(true);
  });

  it('code cannot be closed early', () => {
    expect(code('a`b @here')).toBe("`a'b @\u200Bhere`");
    expect(code('')).toBe('` `');
  });
});

describe('excerpt', () => {
  it('keeps emphasis, but no links, images, HTML, headings or mentions', () => {
    const out = excerpt('**bold** and _it_\n# Heading @channel\n[x](http://evil) ![i](http://evil/img)\n<b>html</b>', { maxChars: 500, maxLines: 10 });
    expect(out).toContain('**bold** and _it_');
    expect(out).toContain('\\# Heading');
    expect(out).not.toMatch(PINGS);
    expect(out).not.toMatch(/(?<!\\)\]\(/);
    expect(out).not.toMatch(/(?<!\\)!\[/);
    expect(out).not.toMatch(/(?<!\\)</);
  });

  it('cuts long text by lines and characters, marking the cut', () => {
    expect(excerpt('a\nb\nc\nd', { maxChars: 100, maxLines: 2 })).toBe('a\nb…');
    expect(excerpt('word '.repeat(100), { maxChars: 50, maxLines: 5 }).length).toBeLessThanOrEqual(51);
    expect(excerpt('\n\n  \nonly\n\n\n\nthis\n\n', { maxChars: 100, maxLines: 10 })).toBe('only\n\nthis');
  });
});

describe('safeUrl', () => {
  it('links http(s) only', () => {
    expect(safeUrl('javascript:alert(1)')).toBeNull();
    expect(safeUrl('data:text/html,x')).toBeNull();
    expect(safeUrl(null)).toBeNull();
    expect(safeUrl('https://example.com/a')).toBe('https://example.com/a');
  });

  it('encodes what could end a Markdown link, and @', () => {
    expect(safeUrl('http://example.com/a b)(c]<d>@e')).toBe('http://example.com/a%20b%29%28c%5D%3Cd%3E%40e');
  });
});
