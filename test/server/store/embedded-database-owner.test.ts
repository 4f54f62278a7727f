/**
 * One embedded database, one owner, across processes and PID namespaces: what an
 * operator sees when an admin command runs beside a running bridge (`docker exec`
 * into a container whose bridge is PID 1, or a command in another container on the
 * same volume), when a second bridge is started on the same DATA_DIR, and after a
 * bridge is killed. Other PID namespaces come from `unshare --pid --fork`, as root.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { tryLockDataDir, type DataDirLock } from '../../../server/src/store/data-dir-lock.js';
import { runBridge, runCommand, tempWorkDir, type BridgeProcess } from '../../helpers/bridge-process.js';
import { waitFor } from '../../helpers/wait-for.js';

/** A PID namespace of its own with its own /proc, as in a container. */
const CONTAINER = ['unshare', '--pid', '--fork', '--mount-proc'];
const unshareWorks = spawnSync(CONTAINER[0]!, [...CONTAINER.slice(1), 'true'], { stdio: 'ignore' }).status === 0;
const flockWorks = spawnSync('flock', ['--version'], { stdio: 'ignore' }).status === 0;
// CI on this project's machine runs as root with util-linux: these run there. Elsewhere (no
// CAP_SYS_ADMIN, not Linux) they cannot, and say why in the name.
const describeWithNamespaces = unshareWorks && flockWorks ? describe : describe.skip;
const why = unshareWorks && flockWorks ? '' : ' (skipped: `unshare --pid --fork --mount-proc` or flock is not available or not permitted here)';

const running: { bridge: BridgeProcess; pid: () => number }[] = [];
const held: DataDirLock[] = [];
const WAITING = 'waiting for the owner of the embedded database to finish';
/** DATA_DIR spelled out: a command entering another mount namespace may start elsewhere than `cwd`. */
const dataDirIn = (cwd: string): Record<string, string> => ({ DATA_DIR: path.join(cwd, 'data') });

/** A bridge on the host's PID namespace. */
function startBridge(cwd: string): BridgeProcess {
  const bridge = runBridge(['start'], dataDirIn(cwd), cwd);
  running.push({ bridge, pid: () => bridge.child.pid! });
  return bridge;
}

/** A bridge that is PID 1 of its own namespace, as in a container without an init. Returns its PID as seen from here. */
function startContainedBridge(cwd: string): { bridge: BridgeProcess; pid: () => number } {
  const bridge = runBridge(['start'], dataDirIn(cwd), cwd, CONTAINER);
  const pid = (): number => {
    const [inner] = childPids(bridge.child.pid!);
    if (inner === undefined) throw new Error('unshare has no child');
    return inner;
  };
  const entry = { bridge, pid };
  running.push(entry);
  return entry;
}

afterEach(async () => {
  for (const lock of held.splice(0)) lock.release();
  await Promise.all(
    running.splice(0).map(async ({ bridge, pid }) => {
      // SIGTERM to the bridge itself, not to a wrapping unshare: it stops its database in order.
      let target: number | undefined;
      try {
        target = pid();
      } catch {
        target = undefined;
      }
      const hung = setTimeout(() => bridge.child.kill('SIGKILL'), 15_000);
      if (target) {
        try {
          process.kill(target, 'SIGTERM');
        } catch {
          // already gone
        }
      }
      await bridge.stop('SIGTERM');
      clearTimeout(hung);
    }),
  );
});

const pidFile = (cwd: string): string => path.join(cwd, 'data', 'postgres', 'postmaster.pid');
const lockFile = (cwd: string): string => path.join(cwd, 'data', 'postgres.lock');
const postmasterPid = (cwd: string): number => Number(readFileSync(pidFile(cwd), 'utf8').split('\n')[0]);
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const childPids = (pid: number): number[] => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ').filter(Boolean).map(Number);

async function readyz(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/readyz`)).text();
}

/** Writes a row through the embedded server a bridge started, as an operator with DATA_DIR could. */
async function query(cwd: string, port: number, sql: string): Promise<unknown[]> {
  const password = readFileSync(path.join(cwd, 'data', 'postgres.password'), 'utf8').trim();
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'gitlab_bridge' });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

describeWithNamespaces(`the embedded database beside a running bridge${why}`, () => {
  it('backs up from another PID namespace (another container on the same volume) through the live server, which keeps serving', async () => {
    const cwd = tempWorkDir();
    const bridge = startBridge(cwd);
    const { internalPort } = await bridge.ready(60_000);
    const before = readFileSync(pidFile(cwd), 'utf8');

    const run = await runCommand(['backup', 'elsewhere.backup'], dataDirIn(cwd), cwd, CONTAINER);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(readFileSync(path.join(cwd, 'elsewhere.backup'), 'utf8').split('\n')[0]!)).toMatchObject({ format: 'gitlab-bridge-backup' });

    // The same server, untouched: its postmaster.pid, its process, and the bridge's queries.
    expect(readFileSync(pidFile(cwd), 'utf8')).toBe(before);
    expect(alive(postmasterPid(cwd))).toBe(true);
    expect(await readyz(internalPort)).toContain('"errors":[]');
    expect(JSON.stringify(bridge.logs)).not.toMatch(/FATAL|connection lost/);
  });

  it('backs up through `docker exec` into a container whose bridge is PID 1, without stopping its database', async () => {
    const cwd = tempWorkDir();
    const contained = startContainedBridge(cwd);
    const { internalPort } = await contained.bridge.ready(60_000);
    const before = readFileSync(pidFile(cwd), 'utf8');

    // nsenter into the bridge's PID and mount namespaces, in its working directory: what `docker exec` does.
    const run = await runCommand(['backup', 'exec.backup'], dataDirIn(cwd), cwd, ['nsenter', `--target=${contained.pid()}`, '--pid', '--mount', `--wd=${cwd}`, '--']);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(existsSync(path.join(cwd, 'exec.backup'))).toBe(true);

    expect(readFileSync(pidFile(cwd), 'utf8')).toBe(before);
    expect(await readyz(internalPort)).toContain('"errors":[]');
    expect(contained.bridge.logs.some((line) => line.msg === 'embedded PostgreSQL stopped')).toBe(false);
  });

  it('refuses a second bridge on the same DATA_DIR from another PID namespace, naming the one that owns it', async () => {
    const cwd = tempWorkDir();
    const first = startBridge(cwd);
    const { internalPort } = await first.ready(60_000);
    const before = readFileSync(pidFile(cwd), 'utf8');

    // Refused after waiting for the owner to finish (a minute by default): a short wait here.
    const second = await runCommand(['start'], { ...dataDirIn(cwd), GITLAB_BRIDGE_TEST_OWNER_WAIT: '1s' }, cwd, CONTAINER);
    expect(second.code).toBe(1);
    expect(second.logs.filter((line) => line.msg === WAITING)).toEqual([expect.objectContaining({ owner: expect.stringMatching(/^gitlab-bridge start \(pid /) })]);
    expect(second.stderr).toContain(`gitlab-bridge: the embedded database in ${path.join(cwd, 'data', 'postgres')} is in use by another process: gitlab-bridge start (pid ${first.child.pid} on host `);
    expect(second.stderr).toMatch(/stop the other gitlab-bridge, give this one its own DATA_DIR, or share an external server with DATABASE_URL/);

    expect(readFileSync(pidFile(cwd), 'utf8')).toBe(before);
    expect(await readyz(internalPort)).toContain('"errors":[]');
  });

  it('lets the lock go with a bridge killed by SIGKILL, keeps the pid file for PostgreSQL to judge, and starts again with the data', async () => {
    const cwd = tempWorkDir();
    const contained = startContainedBridge(cwd);
    await contained.bridge.ready(60_000);
    const port = (await contained.bridge.waitForLog((line) => line.msg === 'embedded PostgreSQL running')).port as number;
    await query(cwd, port, `INSERT INTO settings (key, value) VALUES ('test_marker', '"kept"')`);
    // Held while the bridge runs.
    expect(spawnSync('flock', ['--nonblock', lockFile(cwd), 'true']).status).toBe(1);

    // The container's main process dies hard: the kernel ends everything in its namespace.
    const bridgePid = contained.pid();
    const postmaster = childPids(bridgePid).find((pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres');
    expect(postmaster).toBeDefined();
    process.kill(bridgePid, 'SIGKILL');
    await contained.bridge.exited;
    await waitFor(() => !alive(postmaster!), 'the killed bridge’s PostgreSQL to be gone');

    expect(spawnSync('flock', ['--nonblock', lockFile(cwd), 'true']).status).toBe(0);
    expect(existsSync(pidFile(cwd))).toBe(true);

    const again = startContainedBridge(cwd);
    const { internalPort } = await again.bridge.ready(60_000);
    expect(again.bridge.logs.some((line) => /postmaster\.pid/.test(line.msg))).toBe(false);
    expect(await readyz(internalPort)).toContain('"errors":[]');
    const newPort = (await again.bridge.waitForLog((line) => line.msg === 'embedded PostgreSQL running')).port as number;
    expect(await query(cwd, newPort, `SELECT value FROM settings WHERE key = 'test_marker'`)).toEqual([{ value: 'kept' }]);
  });
});

const describeWithFlock = flockWorks ? describe : describe.skip;

describeWithFlock(`a bridge started while an admin command owns the embedded database${flockWorks ? '' : ' (skipped: no flock command)'}`, () => {
  /** What `gitlab-bridge backup` does with no bridge running: it takes DATA_DIR's lock to run the server itself. */
  async function holdAsACommand(cwd: string): Promise<{ lock: DataDirLock; owner: string }> {
    mkdirSync(path.join(cwd, 'data'), { recursive: true });
    const attempt = await tryLockDataDir(path.join(cwd, 'data'));
    if (attempt.kind !== 'acquired') throw new Error(`could not take the lock: ${attempt.kind}`);
    held.push(attempt.lock);
    return { lock: attempt.lock, owner: readFileSync(lockFile(cwd), 'utf8').split('\n')[0]! };
  }

  it('waits for the command to finish, saying once for whom, then starts normally instead of exiting', async () => {
    const cwd = tempWorkDir();
    const { lock, owner } = await holdAsACommand(cwd);
    const bridge = startBridge(cwd);
    const waiting = await bridge.waitForLog((line) => line.msg === WAITING, 30_000);
    expect(waiting).toMatchObject({ owner, seconds: 60 });

    lock.release();
    const { internalPort } = await bridge.ready(60_000);
    expect(await readyz(internalPort)).toContain('"errors":[]');
    expect(bridge.logs.filter((line) => line.msg === WAITING)).toHaveLength(1);
  });

  it('is refused with the owner named when the owner does not finish within the wait', async () => {
    const cwd = tempWorkDir();
    const { owner } = await holdAsACommand(cwd);
    const run = await runCommand(['start'], { ...dataDirIn(cwd), GITLAB_BRIDGE_TEST_OWNER_WAIT: '2s' }, cwd);
    expect(run.code).toBe(1);
    expect(run.logs.filter((line) => line.msg === WAITING)).toEqual([expect.objectContaining({ owner, seconds: 2 })]);
    expect(run.stderr).toContain(`the embedded database in ${path.join(cwd, 'data', 'postgres')} is in use by another process: ${owner}`);
    expect(existsSync(pidFile(cwd))).toBe(false);
  });
});
