import { describe, expect, it } from '@jest/globals';
import { tokenize } from '../../../server/src/commands/tokenize.js';

const words = (text: string) => {
  const result = tokenize(text);
  if (!result.ok) throw new Error(result.error);
  return result.words;
};

describe('tokenize (slash command text)', () => {
  it('splits on any run of spaces and keeps quoted text together', () => {
    expect(words('  subscriptions   add group/project  ')).toEqual(['subscriptions', 'add', 'group/project']);
    expect(words(`issue create web "Fix the login page" --labels 'bug,ui'`)).toEqual(['issue', 'create', 'web', 'Fix the login page', '--labels', 'bug,ui']);
  });

  it('understands the curly quotes phone keyboards type', () => {
    expect(words('issue create web “Fix it now” ‘and this’')).toEqual(['issue', 'create', 'web', 'Fix it now', 'and this']);
  });

  it('keeps --flag=value and --flag value as the shell would', () => {
    expect(words('--events=merge_request,issue --style "compact"')).toEqual(['--events=merge_request,issue', '--style', 'compact']);
    expect(words('--description="two words"')).toEqual(['--description=two words']);
  });

  it('escapes with a backslash outside single quotes, and keeps an empty quoted word', () => {
    expect(words(String.raw`say \"hi\" 'a\b' ""`)).toEqual(['say', '"hi"', 'a\\b', '']);
  });

  it('reports a quote that is never closed instead of guessing', () => {
    expect(tokenize('issue create web "Fix the login')).toEqual({ ok: false, error: 'a quote (") is not closed' });
  });
});
