/** The /gitlab command of each team (migration 0006): its id, trigger and a hash of its token. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Queryable } from './queryable.js';

export interface RegisteredCommand {
  teamId: string;
  teamName: string;
  commandId: string;
  trigger: string;
  url: string;
}

const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** Inserts or updates; reports whether anything stored changed. */
export async function saveSlashCommand(db: Queryable, command: RegisteredCommand, token: string): Promise<boolean> {
  const { rows } = await db.query<{ changed: boolean }>(
    `INSERT INTO slash_commands (team_id, team_name, command_id, trigger, token_hash, url)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (team_id) DO UPDATE SET team_name = $2, command_id = $3, trigger = $4, token_hash = $5, url = $6, updated_at = now()
       WHERE (slash_commands.team_name, slash_commands.command_id, slash_commands.trigger, slash_commands.token_hash, slash_commands.url)
         IS DISTINCT FROM ($2, $3, $4, $5, $6)
     RETURNING true AS changed`,
    [command.teamId, command.teamName, command.commandId, command.trigger, hashToken(token), command.url],
  );
  return rows.length > 0;
}

export async function listSlashCommands(db: Queryable): Promise<RegisteredCommand[]> {
  const { rows } = await db.query<{ team_id: string; team_name: string; command_id: string; trigger: string; url: string }>(
    'SELECT team_id, team_name, command_id, trigger, url FROM slash_commands ORDER BY team_name',
  );
  return rows.map((row) => ({ teamId: row.team_id, teamName: row.team_name, commandId: row.command_id, trigger: row.trigger, url: row.url }));
}

/** True when `token` is the one Mattermost holds for this team's command (constant-time). */
export async function verifyCommandToken(db: Queryable, teamId: string, token: string): Promise<boolean> {
  const { rows } = await db.query<{ token_hash: string }>('SELECT token_hash FROM slash_commands WHERE team_id = $1', [teamId]);
  const expected = Buffer.from(rows[0]?.token_hash ?? hashToken('no command on this team'), 'hex');
  // Compared even for an unknown team, so timing does not tell which teams have the command.
  return timingSafeEqual(Buffer.from(hashToken(token), 'hex'), expected) && rows.length > 0;
}
