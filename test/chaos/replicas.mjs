// The bridge replicas of the chaos suite: `gitlab-bridge start` (server/dist) on one external
// PostgreSQL, each on fixed ports of its own (a load balancer's targets stay put across restarts), all
// with the same settings and ENCRYPTION_KEY (docs/operations.md, "Scaling out"). Every process that
// ever ran is kept with how it ended, so that the suite can tell its own SIGKILLs from crashes.
import path from 'node:path';
import { cpuSeconds, waitUntilHealthy } from '../bench/child-processes.mjs';

/**
 * `children`: child-processes.mjs's childProcesses; `ports`: one { public, internal } per replica;
 * `env`: the settings every replica shares.
 */
export function createReplicas({ children, bin, work, ports, env }) {
  const replicas = ports.map((port, index) => ({
    index,
    name: `replica-${index}`,
    webhookUrl: `http://127.0.0.1:${port.public}/webhook`,
    internalUrl: `http://127.0.0.1:${port.internal}`,
    port,
    running: null,
  }));
  /** Every process started: { replica, pid, startedAt, readyAt, killedAt, exit, cpuSeconds (read as it ended) }. */
  const history = [];

  async function start(replica) {
    const child = children.start(replica.name, [bin, 'start'], {
      ...env,
      DATA_DIR: path.join(work, replica.name),
      PORT: String(replica.port.public),
      INTERNAL_PORT: String(replica.port.internal),
    });
    const record = { replica: replica.index, pid: child.child.pid, startedAt: Date.now(), readyAt: null, killedAt: null, exit: undefined, cpuSeconds: 0 };
    history.push(record);
    void child.exited.then((code) => (record.exit = code));
    replica.running = { child, record };
    await waitUntilHealthy(child, replica.port.internal, 90_000);
    record.readyAt = Date.now();
    return record;
  }

  /** SIGKILL, as the OOM killer or a lost node would; resolves once the process is gone. */
  async function kill(replica) {
    const { child, record } = replica.running;
    replica.running = null;
    record.cpuSeconds = cpuSeconds(record.pid) ?? 0;
    record.killedAt = Date.now();
    child.child.kill('SIGKILL');
    await child.exited;
    return record;
  }

  /** SIGTERM (drain, then exit 0); resolves to the exit code. */
  async function stop(replica) {
    const running = replica.running;
    if (!running) return null;
    replica.running = null;
    running.record.cpuSeconds = cpuSeconds(running.record.pid) ?? 0;
    return children.stop(running.child);
  }

  return {
    replicas,
    history,
    start,
    kill,
    stop,
    /** The webhook URLs of every replica: the load balancer's targets, dead or alive. */
    webhookTargets: () => replicas.map((replica) => replica.webhookUrl),
    running: () => replicas.filter((replica) => replica.running),
  };
}
