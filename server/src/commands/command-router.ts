/**
 * The /gitlab subcommands: one table gives help and dispatch, so they cannot
 * drift. Every mistake answers with a one-line usage hint, never a stack trace.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { tokenize } from './tokenize.js';

export interface CommandCall {
  userId: string;
  userName: string;
  teamId: string;
  channelId: string;
  /** The slash command word, as the user typed it (for help texts). */
  trigger: string;
}

export interface Subcommand<Deps> {
  name: string;
  summary: string;
  usage: string;
  options?: ParseArgsConfig['options'];
  run(call: CommandCall, args: { values: Record<string, unknown>; positionals: string[] }, deps: Deps): Promise<string>;
}

export async function runCommandLine<Deps>(subcommands: Subcommand<Deps>[], call: CommandCall, text: string, deps: Deps): Promise<string> {
  const tokens = tokenize(text);
  if (!tokens.ok) return `Could not read that: ${tokens.error}. Try \`/${call.trigger} help\`.`;
  const [name, ...rest] = tokens.words;
  if (name === undefined || name === 'help') return rest[0] ? helpFor(subcommands, rest[0], call.trigger) : overview(subcommands, call.trigger);
  const subcommand = subcommands.find((candidate) => candidate.name === name.toLowerCase());
  if (!subcommand) return `Unknown command \`${name}\`. Try \`/${call.trigger} help\`.`;
  if (rest[0] === 'help' || rest.includes('--help')) return helpFor(subcommands, subcommand.name, call.trigger);

  let args: { values: Record<string, unknown>; positionals: string[] };
  try {
    args = parseArgs({ args: rest, options: subcommand.options ?? {}, strict: true, allowPositionals: true });
  } catch (error) {
    // parseArgs explains in a long sentence; its first clause is the useful part.
    const reason = (error as Error).message.split('. ')[0]!;
    return `${reason}. Usage: \`/${call.trigger} ${subcommand.usage}\``;
  }
  return subcommand.run(call, args, deps);
}

function overview<Deps>(subcommands: Subcommand<Deps>[], trigger: string): string {
  return [
    '#### GitLab commands',
    ...subcommands.map((subcommand) => `- \`/${trigger} ${subcommand.usage}\`: ${subcommand.summary}`),
    `- \`/${trigger} help <command>\`: more about one command`,
  ].join('\n');
}

function helpFor<Deps>(subcommands: Subcommand<Deps>[], name: string, trigger: string): string {
  const subcommand = subcommands.find((candidate) => candidate.name === name.toLowerCase());
  if (!subcommand) return `Unknown command \`${name}\`. Try \`/${trigger} help\`.`;
  const options = Object.entries(subcommand.options ?? {}).map(([option, spec]) => `- \`--${option}\`${spec.type === 'string' ? ' <value>' : ''}`);
  return [`\`/${trigger} ${subcommand.usage}\``, '', subcommand.summary, ...(options.length > 0 ? ['', 'Options:', ...options] : [])].join('\n');
}
