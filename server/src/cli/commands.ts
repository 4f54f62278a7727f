/** The CLI's commands and their help texts, in one table so help and dispatch cannot drift. */
export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  details: string;
  options: Record<string, { type: 'boolean' | 'string'; short?: string; multiple?: boolean; description: string }>;
  /** Names the positional arguments the command takes, if any. */
  positionals?: string[];
}

const HELP_OPTION = { help: { type: 'boolean', short: 'h', description: 'show this help' } } as const;

export const COMMANDS: CommandSpec[] = [
  {
    name: 'start',
    summary: 'run the bridge (the default command)',
    usage: 'gitlab-bridge start',
    details: [
      'Starts the public listener (PORT, default 3500) and the internal listener (INTERNAL_PORT,',
      'default 3501). Uses DATABASE_URL, or an embedded PostgreSQL in DATA_DIR/postgres when it is',
      'unset, and applies pending migrations first. Missing Mattermost or GitLab settings do not stop',
      'it: they are logged and listed by GET /readyz. SIGTERM or SIGINT drain and stop it.',
      'Configuration comes from the environment and a .env file in the working directory.',
    ].join('\n'),
    options: { ...HELP_OPTION },
  },
  {
    name: 'setup',
    summary: 'provision Mattermost: the bot, its token and /gitlab on every team',
    usage: 'gitlab-bridge setup [--team <name>]… [--trigger <word>]',
    details: [
      'Run once by an admin with MATTERMOST_URL and MATTERMOST_ADMIN_TOKEN (a system admin\'s personal',
      'access token), and again whenever you like: it changes only what is missing or different.',
      'Creates the bot @gitlab (or re-enables it), makes it an access token when MATTERMOST_BOT_TOKEN',
      'is unset or not the bot\'s (printed once: put it in MATTERMOST_BOT_TOKEN), registers the /gitlab',
      'command on every team (INTERNAL_URL/mattermost/command), and checks the Mattermost settings',
      'the bridge needs, printing the exact change for each problem. Exits 1 when something needs',
      'fixing. The database (DATABASE_URL or the embedded one) keeps each team\'s command token.',
    ].join('\n'),
    options: {
      team: { type: 'string', multiple: true, description: 'only this team (by name, as in its URL); repeat for several' },
      trigger: { type: 'string', description: 'the command word, when /gitlab is taken by another integration (default gitlab)' },
      ...HELP_OPTION,
    },
  },
  {
    name: 'import',
    summary: "bring the official GitLab plugin's channel subscriptions over (a dry run unless --apply)",
    usage: 'gitlab-bridge import official-plugin [--from-file <file>] [--instance <name>] [--apply]',
    details: [
      "Reads the official GitLab plugin's subscriptions from Mattermost's database (MATTERMOST_DATABASE_URL,",
      'PostgreSQL, read only) or from a file holding the value of its "subscriptions" key (--from-file; the',
      'way for MySQL), and prints what it would do with each: subscribe the channel here with the same',
      'events, or, for a project or group GitLab does not show to everyone, leave it to someone in the',
      'channel with access (an import vouches for no access: only what GitLab shows everyone comes over).',
      'It lists what cannot be mapped. With --apply it does it: each channel gets one post about it, and',
      'each person the plugin knew gets one direct message asking them to connect their GitLab account',
      '(the plugin\'s tokens do not carry over). Running it again makes and asks nothing twice. Needs',
      'MATTERMOST_URL and MATTERMOST_ADMIN_TOKEN (a system admin\'s), and MATTERMOST_BOT_TOKEN for --apply.',
      'Like setup, it first applies pending migrations to the bridge\'s database. With several GitLab',
      'instances, --instance names the one the official plugin was connected to (default: the default one).',
    ].join('\n'),
    options: {
      instance: { type: 'string', description: 'the GitLab instance (GITLAB_INSTANCES) the official plugin was connected to; default: the default instance' },
      'from-file': { type: 'string', description: 'read the exported "subscriptions" value from this file instead of Mattermost\'s database' },
      apply: { type: 'boolean', description: 'do it (without it: print what it would do, change nothing)' },
      'dry-run': { type: 'boolean', description: 'print what it would do and change nothing (the default)' },
      ...HELP_OPTION,
    },
    positionals: ['official-plugin'],
  },
  {
    name: 'migrate',
    summary: 'apply pending database migrations and exit (--status: only show them)',
    usage: 'gitlab-bridge migrate [--status]',
    details: [
      'Applies the migrations this version ships to DATABASE_URL (or the embedded database) and',
      'exits. `start` does the same on its own; this is for deployments that migrate first.',
      'With --status it changes nothing: it lists the applied and pending migrations, and exits 1',
      'when the database was migrated by a newer gitlab-bridge (which `start` refuses too).',
    ].join('\n'),
    options: { status: { type: 'boolean', description: 'list applied and pending migrations; change nothing' }, ...HELP_OPTION },
  },
  {
    name: 'doctor',
    summary: 'check configuration, database, Mattermost, GitLab and the public URL; say what to fix',
    usage: 'gitlab-bridge doctor [--json]',
    details: [
      'Runs every check the bridge depends on and prints one line each: ok, warn or fail, with the',
      'fix for anything not ok. Changes nothing. Exits 1 when a check fails (warnings alone exit 0).',
    ].join('\n'),
    options: { json: { type: 'boolean', description: 'print the results as JSON, for scripts' }, ...HELP_OPTION },
  },
  {
    name: 'backup',
    summary: 'write every piece of bridge state to a file (safe while the bridge runs)',
    usage: 'gitlab-bridge backup <file>',
    details: [
      'Exports the bridge\'s state (subscriptions, connected accounts with their still-encrypted',
      'tokens, threads, settings, the audit log…) from one consistent snapshot into <file> (- for',
      'stdout), as versioned JSON that any PostgreSQL version, embedded or external, can restore.',
      'Tokens stay sealed: keep ENCRYPTION_KEY (or DATA_DIR/encryption.key) with the backup.',
    ].join('\n'),
    options: { ...HELP_OPTION },
    positionals: ['file'],
  },
  {
    name: 'restore',
    summary: 'load a backup into an empty database (stop the bridge first)',
    usage: 'gitlab-bridge restore [--force] <file>',
    details: [
      'Loads a file written by `backup` into DATABASE_URL (or the embedded database), migrating it',
      'first. Refuses a file written by a newer gitlab-bridge, and a database that already holds',
      'bridge state unless --force, which replaces that state. Stop every replica first; start them',
      'again with the ENCRYPTION_KEY the backup\'s tokens were sealed with.',
    ].join('\n'),
    options: { force: { type: 'boolean', description: 'replace the state in a database that is not empty' }, ...HELP_OPTION },
    positionals: ['file'],
  },
  {
    name: 'rotate-key',
    summary: 're-encrypt stored tokens under a new ENCRYPTION_KEY',
    usage: 'gitlab-bridge rotate-key',
    details: [
      'Set ENCRYPTION_KEY to the new key and ENCRYPTION_KEY_PREVIOUS to the old one (comma-separate',
      'several), then run this: every stored token is re-sealed under the new key, a batch at a time,',
      'so an interrupted run resumes where it stopped. Replicas started with both settings read',
      'tokens under either key meanwhile. A token no configured key opens is dropped and its user',
      'marked disconnected and told by direct message. Afterwards ENCRYPTION_KEY_PREVIOUS can go.',
    ].join('\n'),
    options: { ...HELP_OPTION },
  },
  {
    name: 'render',
    summary: 'print the Mattermost posts a webhook payload would make',
    usage: 'gitlab-bridge render --event "<X-Gitlab-Event>" [--style full|compact|title] <payload.json>',
    details: [
      'Reads a GitLab webhook payload (a file, or - for stdin) and prints, as JSON, the posts the',
      'bridge would make for it in a channel subscribed with every event and feature on. Needs no',
      'database, Mattermost or GitLab: handy to check a payload or to preview a new GitLab version.',
    ].join('\n'),
    options: {
      event: { type: 'string', description: 'the X-Gitlab-Event header the payload came with, e.g. "Merge Request Hook"' },
      style: { type: 'string', description: 'full (default), compact or title' },
      'gitlab-url': { type: 'string', description: 'GitLab base URL for links in payloads that carry none (member and group events)' },
      ...HELP_OPTION,
    },
    positionals: ['payload.json'],
  },
];

export function generalHelp(version: string): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return [
    `gitlab-bridge ${version}: bridges GitLab and Mattermost`,
    '',
    'Usage: gitlab-bridge [command] [options]',
    '',
    'Commands:',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    `  ${'help'.padEnd(width)}  show help for a command`,
    '',
    'Options:',
    '  -h, --help     show help',
    '  -v, --version  print the version',
    '',
    "Run 'gitlab-bridge <command> --help' for a command's options.",
  ].join('\n');
}

export function commandHelp(command: CommandSpec): string {
  const options = Object.entries(command.options).map(
    ([name, option]) => `  ${option.short ? `-${option.short}, ` : '    '}--${name}  ${option.description}`,
  );
  return [`Usage: ${command.usage}`, '', command.details, '', 'Options:', ...options].join('\n');
}
