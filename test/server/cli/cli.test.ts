import { describe, expect, it } from '@jest/globals';
import { COMMANDS } from '../../../server/src/cli/commands.js';
import { runCommand } from '../../helpers/bridge-process.js';

describe('gitlab-bridge command line', () => {
  it('prints general help listing every command', async () => {
    const result = await runCommand(['--help']);
    expect(result.code).toBe(0);
    for (const command of COMMANDS) expect(result.stdout).toMatch(new RegExp(`^  ${command.name}\\b`, 'm'));
  });

  it.each(COMMANDS.map((command) => command.name))('prints help for %s with --help and with help <command>', async (name) => {
    const viaFlag = await runCommand([name, '--help']);
    expect(viaFlag.code).toBe(0);
    expect(viaFlag.stdout).toContain(`Usage: gitlab-bridge ${name}`);
    const viaHelp = await runCommand(['help', name]);
    expect(viaHelp.stdout).toBe(viaFlag.stdout);
  });

  it('prints the version from package.json', async () => {
    const result = await runCommand(['--version']);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('rejects an unknown command with one line and exit code 2', async () => {
    const result = await runCommand(['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual(["gitlab-bridge: unknown command 'frobnicate' (try 'gitlab-bridge --help')"]);
    expect(result.stdout).toBe('');
  });

  it('rejects an unknown flag with one line and exit code 2', async () => {
    const result = await runCommand(['start', '--verbose']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^gitlab-bridge: start: unknown option '--verbose'/);
  });

  it('rejects a stray argument and an unknown top-level flag with exit code 2', async () => {
    expect((await runCommand(['migrate', 'now'])).code).toBe(2);
    expect((await runCommand(['--frob'])).code).toBe(2);
  });

  it('stops with exit code 1 and a message naming the variable on invalid configuration', async () => {
    const result = await runCommand(['start'], { PORT: 'eighty' });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('gitlab-bridge: invalid configuration: PORT must be a whole number from 0 to 65535 (got "eighty")');
  });
});
