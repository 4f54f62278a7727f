/** The slash commands setup registered, against INTERNAL_URL and what Mattermost still has. */
import { describe, expect, it } from '@jest/globals';
import type { Command } from '@mattermost/types/integrations';
import { judgeCommands, type LiveCommands } from '../../../server/src/doctor/check-slash-commands.js';

const URL = 'http://10.0.0.5:3501/mattermost/command';
const registered = [
  { teamId: 't1', teamName: 'alpha', commandId: 'c1', trigger: 'gitlab', url: URL },
  { teamId: 't2', teamName: 'beta', commandId: 'c2', trigger: 'gitlab', url: URL },
];
const live = (teamId: string, fields: Partial<Command> = {}) => ({ id: teamId === 't1' ? 'c1' : 'c2', team_id: teamId, trigger: 'gitlab', url: URL, delete_at: 0, ...fields }) as Command;

describe('judgeCommands', () => {
  it('is ok in one line when Mattermost has every command, calling INTERNAL_URL', () => {
    const commands: LiveCommands = new Map([['t1', [live('t1')]], ['t2', [live('t2')]]]);
    expect(judgeCommands(registered, commands, URL)).toEqual([{ check: 'slash command', status: 'ok', detail: `/gitlab on 2 teams (alpha, beta), calling ${URL}` }]);
  });

  it('without an admin token, warns that only the bridge\'s records were checked', () => {
    expect(judgeCommands(registered, null, URL)).toEqual([
      expect.objectContaining({ status: 'warn', detail: expect.stringContaining('partial check'), fix: expect.stringContaining('MATTERMOST_ADMIN_TOKEN') }),
    ]);
  });

  it('fails per team for a deleted, moved or renamed command, with setup as the fix, and keeps the good ones', () => {
    const deleted: LiveCommands = new Map([['t1', [live('t1')]], ['t2', [live('t2', { delete_at: 5 })]]]);
    expect(judgeCommands(registered, deleted, URL)).toEqual([
      expect.objectContaining({ status: 'ok', detail: expect.stringContaining('1 team (alpha)') }),
      { check: 'slash command', status: 'fail', detail: 'team beta: /gitlab no longer exists in Mattermost (deleted since setup registered it)', fix: expect.stringContaining('gitlab-bridge setup') },
    ]);
    const moved: LiveCommands = new Map([['t1', [live('t1', { url: 'http://old:3501/mattermost/command' })]], ['t2', [live('t2', { trigger: 'gl' })]]]);
    expect(judgeCommands(registered, moved, URL).map((check) => [check.status, check.detail])).toEqual([
      ['fail', `team alpha: /gitlab calls http://old:3501/mattermost/command in Mattermost, not ${URL}`],
      ['fail', 'team beta: /gitlab was renamed to /gl in Mattermost'],
    ]);
  });

  it('fails when setup registered it for another INTERNAL_URL, or on no team at all', () => {
    expect(judgeCommands(registered.slice(0, 1), null, 'http://127.0.0.1:3501/mattermost/command')[0]).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining(`was registered calling ${URL}, not INTERNAL_URL/mattermost/command`),
    });
    expect(judgeCommands([], null, URL)).toEqual([expect.objectContaining({ status: 'fail', fix: expect.stringContaining('gitlab-bridge setup') })]);
  });

  it('warns when a team\'s commands could not be listed', () => {
    const refused: LiveCommands = new Map([['t1', { error: 'Mattermost answered 403: no' }], ['t2', [live('t2')]]]);
    expect(judgeCommands(registered, refused, URL).map((check) => check.status)).toEqual(['ok', 'warn']);
  });
});
