import { describe, expect, it } from '@jest/globals';
import { runCommandLine, type CommandCall, type Subcommand } from '../../../server/src/commands/command-router.js';

const call: CommandCall = { userId: 'u1', userName: 'alice', teamId: 't1', channelId: 'c1', trigger: 'gl' };
const echo: Subcommand<null> = {
  name: 'echo',
  summary: 'says its words back',
  usage: 'echo <words…> [--loud]',
  options: { loud: { type: 'boolean' }, times: { type: 'string' } },
  run: async (_call, { values, positionals }) => `${values.loud ? 'LOUD ' : ''}${positionals.join('|')} x${String(values.times ?? 1)}`,
};
const run = (text: string) => runCommandLine([echo], call, text, null);

describe('runCommandLine', () => {
  it('runs a subcommand with its words and options, in either --flag value or --flag=value form', async () => {
    expect(await run('echo "a b" c --loud --times 2')).toBe('LOUD a b|c x2');
    expect(await run('ECHO x --times=3')).toBe('x x3');
  });

  it('lists the commands under the trigger the user typed, and explains one', async () => {
    expect(await run('')).toContain('`/gl echo <words…> [--loud]`: says its words back');
    expect(await run('help')).toContain('/gl help <command>');
    expect(await run('help echo')).toContain('- `--times` <value>');
    expect(await run('echo --help')).toContain('says its words back');
  });

  it('answers a mistake with one line and the usage, never a stack trace', async () => {
    expect(await run('frobnicate')).toBe('Unknown command `frobnicate`. Try `/gl help`.');
    const unknownOption = await run('echo --shout');
    expect(unknownOption).toMatch(/^Unknown option '--shout'\. Usage: `\/gl echo <words…> \[--loud\]`$/);
    expect(await run('echo "unfinished')).toBe('Could not read that: a quote (") is not closed. Try `/gl help`.');
  });
});
