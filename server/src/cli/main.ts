/**
 * `gitlab-bridge <command>`: parses the command line, runs the command and
 * maps failures to one line on stderr and an exit status (2 for usage mistakes).
 */
import { parseArgs } from 'node:util';
import { BridgeError, describeError, exitStatusFor } from '../errors.js';
import { VERSION } from '../version.js';
import { COMMANDS, commandHelp, generalHelp, type CommandSpec } from './commands.js';
import { runBackup, runRestore } from './backup.js';
import { runDoctor } from './doctor.js';
import { runImport } from './import.js';
import { runMigrate } from './migrate.js';
import { runRotateKey } from './rotate-key.js';
import { runRender } from './render.js';
import { runSetup } from './setup.js';
import { runStart } from './start.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export interface Invocation {
  values: Record<string, unknown>;
  positionals: string[];
  io: Io;
}

const RUNNERS: Record<string, (invocation: Invocation) => Promise<number>> = {
  start: () => runStart(),
  migrate: (invocation) => runMigrate(invocation),
  doctor: (invocation) => runDoctor(invocation),
  backup: (invocation) => runBackup(invocation),
  restore: (invocation) => runRestore(invocation),
  'rotate-key': (invocation) => runRotateKey(invocation),
  render: (invocation) => runRender(invocation),
  setup: (invocation) => runSetup(invocation),
  import: (invocation) => runImport(invocation),
};

export async function main(argv: string[], io: Io): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    io.err(`gitlab-bridge: ${describeError(error)}`);
    return exitStatusFor(error);
  }
}

async function dispatch(argv: string[], io: Io): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) return RUNNERS.start!({ values: {}, positionals: [], io });
  if (first === '-h' || first === '--help') return print(io, generalHelp(VERSION));
  if (first === '-v' || first === '--version') return print(io, VERSION);
  if (first === 'help') {
    if (rest[0] === undefined) return print(io, generalHelp(VERSION));
    return print(io, commandHelp(findCommand(rest[0])));
  }
  if (first.startsWith('-')) {
    throw usage(`unknown option '${first}' (try 'gitlab-bridge --help')`);
  }
  const command = findCommand(first);
  const { values, positionals } = parseOptions(command, rest);
  if (values.help) return print(io, commandHelp(command));
  return RUNNERS[command.name]!({ values, positionals, io });
}

function findCommand(name: string): CommandSpec {
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command) throw usage(`unknown command '${name}' (try 'gitlab-bridge --help')`);
  return command;
}

function parseOptions(command: CommandSpec, args: string[]): { values: Record<string, unknown>; positionals: string[] } {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args, options: command.options, strict: true, allowPositionals: (command.positionals?.length ?? 0) > 0 });
  } catch (error) {
    // parseArgs explains the mistake in a long sentence; keep its first clause.
    const reason = (error as Error).message.split('. ')[0]!.replace(/^Unknown option/, 'unknown option');
    throw usage(`${command.name}: ${reason} (try 'gitlab-bridge ${command.name} --help')`);
  }
  if (parsed.positionals.length > (command.positionals?.length ?? 0)) {
    throw usage(`${command.name}: unexpected argument '${parsed.positionals.at(-1)}' (try 'gitlab-bridge ${command.name} --help')`);
  }
  return parsed;
}

function usage(message: string): BridgeError {
  return new BridgeError('usage', message);
}

function print(io: Io, text: string): number {
  io.out(text);
  return 0;
}
