/**
 * Runs the real `gitlab-bridge` command (server/bin, over the compiled server)
 * in a clean environment and working directory, and reads its JSON log lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../server/bin/gitlab-bridge.js', import.meta.url));

export interface LogLine {
  level: string;
  msg: string;
  [key: string]: unknown;
}

export interface BridgeProcess {
  child: ChildProcess;
  cwd: string;
  logs: LogLine[];
  stderr(): string;
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Resolves with the ports once the bridge is listening. */
  ready(timeoutMs?: number): Promise<{ publicPort: number; internalPort: number }>;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

/**
 * A fresh working directory the 'postgres' user (used under root) can enter. Inside the
 * run's own directory when there is one (global-setup.mjs), which is removed at the end.
 */
export function tempWorkDir(): string {
  const dir = mkdtempSync(path.join(process.env.TEST_WORK_ROOT ?? os.tmpdir(), 'gitlab-bridge-run-'));
  chmodSync(dir, 0o755);
  return dir;
}

/** `wrapper` runs the command through another, e.g. `['unshare', '--pid', '--fork']` for a PID namespace of its own. */
export function runBridge(args: string[], env: Record<string, string> = {}, cwd: string = tempWorkDir(), wrapper: string[] = []): BridgeProcess {
  const [command, ...prefix] = [...wrapper, process.execPath];
  const child = spawn(command!, [...prefix, BIN, ...args], {
    cwd,
    // Only what a fresh machine has, plus the test's settings: nothing leaks in from the developer's shell.
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', PORT: '0', INTERNAL_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      if (line.trim() === '') continue;
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        logs.push({ level: 'text', msg: line });
      }
    }
    for (const wake of waiters) wake();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  let closed = false;
  const exited = new Promise<number | string>((resolve) => {
    // 'close', not 'exit': only then has everything the process wrote been read.
    child.once('close', (code, signal) => {
      closed = true;
      resolve(code ?? signal ?? -1);
      for (const wake of waiters) wake();
    });
  });

  const waitForLog = (predicate: (line: LogLine) => boolean, timeoutMs = 30_000): Promise<LogLine> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = logs.find(predicate);
        if (found) {
          finish();
          resolve(found);
          return true;
        }
        if (closed) {
          finish();
          reject(new Error(`bridge exited before the expected log line; stderr: ${stderr}; logs: ${JSON.stringify(logs.slice(-5))}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out waiting for a log line; logs: ${JSON.stringify(logs.slice(-5))}; stderr: ${stderr}`));
      }, timeoutMs);
      const wake = (): void => void check();
      const finish = (): void => {
        clearTimeout(timer);
        waiters.delete(wake);
      };
      if (!check()) waiters.add(wake);
    });

  return {
    child,
    cwd,
    logs,
    stderr: () => stderr,
    waitForLog,
    async ready(timeoutMs) {
      const line = await waitForLog((l) => l.msg === 'gitlab-bridge listening', timeoutMs);
      return { publicPort: line.publicPort as number, internalPort: line.internalPort as number };
    },
    exited,
    async stop(signal = 'SIGTERM') {
      if (!closed) child.kill(signal);
      return exited;
    },
  };
}

/** Runs a short command to completion: exit code, stdout and stderr. */
export async function runCommand(args: string[], env: Record<string, string> = {}, cwd?: string, wrapper: string[] = []) {
  const run = runBridge(args, env, cwd, wrapper);
  const code = await run.exited;
  let stdout = '';
  for (const line of run.logs) stdout += line.level === 'text' ? `${line.msg}\n` : `${JSON.stringify(line)}\n`;
  return { code, stdout, stderr: run.stderr(), logs: run.logs };
}
