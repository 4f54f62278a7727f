/**
 * The deployment recipes (Dockerfile, deploy/) and the operator's guide (docs/operations.md), checked
 * for what an operator would trip over: settings the bridge does not know, probes on the wrong port,
 * secrets in plain config, a root container, a command or a link the guide misses.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import yaml from 'js-yaml';
import { COMMANDS } from '../../../server/src/cli/commands.js';
import { parseConfig } from '../../../server/src/config.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');

type Doc = Record<string, unknown>;
const asDoc = (value: unknown): Doc => (value !== null && typeof value === 'object' ? (value as Doc) : {});
const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/**
 * Whether server/src/config.ts reads a variable, asked of config.ts itself: a variable it knows
 * changes what parseConfig returns, or makes it refuse the value. An unknown one changes nothing.
 */
function configKnows(name: string): boolean {
  const outcome = (env: Record<string, string>): string => {
    try {
      return JSON.stringify(parseConfig(env, ROOT));
    } catch (error) {
      return `refused: ${(error as Error).message}`;
    }
  };
  const baseline = outcome({});
  return ['probe-value', 'https://probe.example.com', '1'].some((value) => outcome({ [name]: value }) !== baseline);
}

function unknownSettings(names: Iterable<string>): string[] {
  return [...new Set(names)].filter((name) => !configKnows(name)).sort();
}

describe('asking config.ts which settings it knows', () => {
  it('tells a setting from a stranger', () => {
    expect(['DATABASE_URL', 'ENCRYPTION_KEY', 'NO_PROXY', 'DATA_DIR', 'PORT'].filter(configKnows)).toHaveLength(5);
    expect(unknownSettings(['NOT_A_GITLAB_BRIDGE_SETTING', 'DATABASE_URL'])).toEqual(['NOT_A_GITLAB_BRIDGE_SETTING']);
  });
});

// ---- Dockerfile ----

interface Instruction {
  keyword: string;
  args: string;
}

/** The instructions of the final stage (after the last FROM), continuation lines joined, comments dropped. */
function finalStage(dockerfile: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending = '';
  for (const raw of dockerfile.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && pending === '')) continue;
    pending += `${line.replace(/\\$/, '')} `;
    if (line.endsWith('\\')) continue;
    const [keyword = '', ...rest] = pending.trim().split(/\s+/);
    instructions.push({ keyword: keyword.toUpperCase(), args: rest.join(' ') });
    pending = '';
  }
  const lastFrom = instructions.map((instruction) => instruction.keyword).lastIndexOf('FROM');
  return instructions.slice(lastFrom);
}

/** ENV values, both `ENV A=1 B=2` and the legacy `ENV A 1`. */
function envOf(stage: Instruction[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { keyword, args } of stage) {
    if (keyword !== 'ENV') continue;
    if (!args.includes('=')) {
      const [name = '', ...value] = args.split(' ');
      env[name] = value.join(' ');
      continue;
    }
    for (const match of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)) env[match[1]!] = match[2]!.replace(/^"|"$/g, '');
  }
  return env;
}

const dockerStage = finalStage(read('Dockerfile'));
const dockerEnv = envOf(dockerStage);

describe('the Dockerfile', () => {
  const last = (keyword: string): string | undefined => dockerStage.filter((instruction) => instruction.keyword === keyword).at(-1)?.args;

  it('runs as a non-root user', () => {
    const user = last('USER');
    expect(user).toBeDefined();
    const [name] = user!.split(':');
    expect(['root', '0']).not.toContain(name);
  });

  it('has a health check on /healthz that uses node, not curl', () => {
    const healthcheck = last('HEALTHCHECK');
    expect(healthcheck).toBeDefined();
    expect(healthcheck).not.toMatch(/^NONE\b/i);
    // Exec form: invalid JSON would silently become a shell command.
    const command = JSON.parse(healthcheck!.replace(/^.*?\bCMD\s+/, '')) as string[];
    expect(command[0]).toBe('node');
    expect(command.join(' ')).toContain('/healthz');
  });

  it('exposes both listeners, keeps DATA_DIR in a volume and runs the CLI', () => {
    expect(last('EXPOSE')?.split(/\s+/).sort()).toEqual(['3500', '3501']);
    expect(dockerEnv.DATA_DIR).toBeDefined();
    expect(last('VOLUME')).toContain(dockerEnv.DATA_DIR);
    expect(JSON.parse(last('ENTRYPOINT')!)).toEqual(['/usr/bin/tini', '--', 'node', 'server/bin/gitlab-bridge.js']);
    expect(JSON.parse(last('CMD')!)).toEqual(['start']);
  });

  it('runs the bridge under an init (tini from Debian), so that the bridge is not PID 1 and `docker exec` commands sit beside it', () => {
    const [init] = JSON.parse(last('ENTRYPOINT')!) as string[];
    expect(init).toBe('/usr/bin/tini');
    // Installed in the final stage, from Debian's repositories, with apt's lists removed again.
    const installs = dockerStage.filter((instruction) => instruction.keyword === 'RUN' && /apt-get install\b.*\btini\b/.test(instruction.args));
    expect(installs).toHaveLength(1);
    expect(installs[0]!.args).toMatch(/apt-get update/);
    expect(installs[0]!.args).toMatch(/rm -rf \/var\/lib\/apt\/lists/);
    // Installed before USER drops root.
    expect(dockerStage.indexOf(installs[0]!)).toBeLessThan(dockerStage.findIndex((instruction) => instruction.keyword === 'USER'));
  });

  it('sets only settings the bridge knows, and an INTERNAL_URL that makes the internal listener reachable from outside the container', () => {
    expect(unknownSettings(Object.keys(dockerEnv).filter((name) => name !== 'NODE_ENV' && name !== 'NODE_OPTIONS'))).toEqual([]);
    expect(dockerEnv.INTERNAL_URL).toBeDefined();
    expect(parseConfig({ INTERNAL_URL: dockerEnv.INTERNAL_URL }, ROOT).internalHost).toBe('0.0.0.0');
  });

  it('uses a glibc base, which the embedded PostgreSQL binaries need', () => {
    expect(last('FROM')).not.toMatch(/alpine/);
  });
});

// ---- deploy/compose.yaml ----

const compose = asDoc(yaml.load(read('deploy/compose.yaml')));
const services = asDoc(compose.services);
const bridge = asDoc(services['gitlab-bridge']);
const postgres = asDoc(services.postgres);

function environmentNames(environment: unknown): string[] {
  if (Array.isArray(environment)) return environment.map((entry) => String(entry).split('=')[0]!);
  return Object.keys(asDoc(environment));
}

/** `name:/path` volume entries (short syntax) or `{source, target}` (long syntax). */
function volumeMounts(service: Doc): { source: string; target: string }[] {
  return asList(service.volumes).map((entry) => {
    if (typeof entry === 'string') {
      const [source = '', target = ''] = entry.split(':');
      return { source, target };
    }
    const long = asDoc(entry);
    return { source: String(long.source ?? ''), target: String(long.target ?? '') };
  });
}

describe('deploy/compose.yaml', () => {
  it('adds no second init in front of the image’s own (tini)', () => {
    expect(bridge.init).not.toBe(true);
  });

  it('starts the bridge only once PostgreSQL reports healthy', () => {
    expect(asDoc(asDoc(bridge.depends_on).postgres).condition).toBe('service_healthy');
    expect(asList(asDoc(postgres.healthcheck).test).join(' ')).toMatch(/pg_isready/);
    expect(String(postgres.image)).toMatch(/^postgres:17\b/);
  });

  it('keeps PostgreSQL data and the bridge DATA_DIR in named volumes', () => {
    const declared = Object.keys(asDoc(compose.volumes));
    const database = volumeMounts(postgres).find((mount) => mount.target === '/var/lib/postgresql/data');
    expect(database).toBeDefined();
    expect(declared).toContain(database!.source);
    const data = volumeMounts(bridge).find((mount) => mount.target === dockerEnv.DATA_DIR);
    expect(data).toBeDefined();
    expect(declared).toContain(data!.source);
  });

  it('points the bridge at the postgres service and requires an encryption key', () => {
    const environment = asDoc(bridge.environment);
    expect(String(environment.DATABASE_URL)).toMatch(/^postgres:\/\/[^@]+@postgres:5432\//);
    // `${VAR:?message}`: Compose refuses to start without it.
    expect(String(environment.ENCRYPTION_KEY)).toMatch(/^\$\{ENCRYPTION_KEY:\?/);
  });

  it('names only settings server/src/config.ts knows', () => {
    const names = environmentNames(bridge.environment);
    expect(names.length).toBeGreaterThan(10);
    expect(unknownSettings(names)).toEqual([]);
  });
});

// ---- deploy/kubernetes/gitlab-bridge.yaml ----

const kubeDocs = yaml.loadAll(read('deploy/kubernetes/gitlab-bridge.yaml')).filter((doc) => doc !== null && doc !== undefined).map(asDoc);
const ofKind = (kind: string): Doc[] => kubeDocs.filter((doc) => doc.kind === kind);
const deployment = ofKind('Deployment')[0] ?? {};
const podSpec = asDoc(asDoc(asDoc(deployment.spec).template).spec);
const containers = asList(podSpec.containers).map(asDoc);
const container = containers[0] ?? {};
const containerEnv = asList(container.env).map(asDoc);
const configMapsUsed = asList(container.envFrom)
  .map((source) => asDoc(asDoc(source).configMapRef).name)
  .filter((name): name is string => typeof name === 'string');
const configData = (name: string): Doc => asDoc(ofKind('ConfigMap').find((doc) => asDoc(doc.metadata).name === name)?.data);

/** A probe's port as a number, resolving a named container port. */
function probePort(probe: unknown): number | undefined {
  const port = asDoc(asDoc(probe).httpGet).port;
  if (typeof port === 'number') return port;
  const named = asList(container.ports).map(asDoc).find((candidate) => candidate.name === port);
  return typeof named?.containerPort === 'number' ? named.containerPort : undefined;
}

describe('deploy/kubernetes/gitlab-bridge.yaml', () => {
  const settings = Object.assign({}, ...configMapsUsed.map(configData)) as Record<string, string>;
  const internalPort = Number(settings.INTERNAL_PORT ?? 3501);
  const publicPort = Number(settings.PORT ?? 3500);

  it('runs two replicas of the bridge', () => {
    expect(asDoc(deployment.spec).replicas).toBe(2);
    expect(containers).toHaveLength(1);
  });

  it('probes readiness on /readyz and liveness on /healthz, on the listener that serves them', () => {
    // Both routes live on the internal listener (server/src/http/internal-app.ts), not the public one.
    const internalApp = read('server/src/http/internal-app.ts');
    const publicApp = read('server/src/http/public-app.ts');
    for (const route of ['/healthz', '/readyz']) {
      expect(internalApp).toContain(`'${route}'`);
      expect(publicApp).not.toContain(`'${route}'`);
    }
    expect(asDoc(asDoc(container.readinessProbe).httpGet).path).toBe('/readyz');
    expect(asDoc(asDoc(container.livenessProbe).httpGet).path).toBe('/healthz');
    expect(probePort(container.readinessProbe)).toBe(internalPort);
    expect(probePort(container.livenessProbe)).toBe(internalPort);
  });

  it('takes DATABASE_URL and ENCRYPTION_KEY from a Secret, never from the ConfigMap', () => {
    for (const name of ['DATABASE_URL', 'ENCRYPTION_KEY']) {
      const entry = containerEnv.find((candidate) => candidate.name === name);
      const ref = asDoc(asDoc(entry?.valueFrom).secretKeyRef);
      expect(typeof ref.name).toBe('string');
      expect(ref.key).toBe(name);
      expect(ref.optional).not.toBe(true);
      expect(settings).not.toHaveProperty(name);
    }
  });

  it('names only settings server/src/config.ts knows', () => {
    const names = [...containerEnv.map((entry) => String(entry.name)), ...Object.keys(settings)];
    expect(names.length).toBeGreaterThan(10);
    expect(unknownSettings(names)).toEqual([]);
  });

  it('gives every replica an INTERNAL_URL that is not loopback, so the internal listener is reachable', () => {
    expect(settings.INTERNAL_URL).toBeDefined();
    expect(parseConfig({ INTERNAL_URL: settings.INTERNAL_URL }, ROOT).internalHost).toBe('0.0.0.0');
    expect(new URL(settings.INTERNAL_URL!).port).toBe(String(internalPort));
  });

  it('runs containers as non-root, without privilege escalation', () => {
    const podSecurity = asDoc(podSpec.securityContext);
    for (const each of containers) {
      const security = { ...podSecurity, ...asDoc(each.securityContext) };
      expect(security.runAsNonRoot).toBe(true);
      expect(security.runAsUser).not.toBe(0);
      expect(security.allowPrivilegeEscalation).toBe(false);
    }
  });

  it('sets resource requests and limits', () => {
    const resources = asDoc(container.resources);
    expect(asDoc(resources.requests).memory).toBeDefined();
    expect(asDoc(resources.requests).cpu).toBeDefined();
    expect(asDoc(resources.limits).memory).toBeDefined();
  });

  it("runs the image with a cap on V8's heap that leaves room under the memory limit, as the systemd unit does", () => {
    const limitMiB = Number(/^(\d+)Mi$/.exec(String(asDoc(asDoc(container.resources).limits).memory))?.[1]);
    const cap = Number(/--max-old-space-size=(\d+)/.exec(dockerEnv.NODE_OPTIONS ?? '')?.[1]);
    // The young generation, code and what lives outside the heap take the rest.
    expect(cap).toBeGreaterThan(0);
    expect(cap).toBeLessThanOrEqual(limitMiB * 0.8);
    expect(containerEnv.some((entry) => entry.name === 'NODE_OPTIONS')).toBe(false);
    expect(read('deploy/gitlab-bridge.service')).toContain(`Environment=NODE_OPTIONS=${dockerEnv.NODE_OPTIONS}\n`);
  });

  it('has a Service for the public port and one for the internal port, both selecting the pods', () => {
    const podLabels = asDoc(asDoc(asDoc(asDoc(deployment.spec).template).metadata).labels);
    const containerPorts = new Map(asList(container.ports).map(asDoc).map((port) => [port.name, port.containerPort]));
    const servedPorts = ofKind('Service').map((service) => {
      const spec = asDoc(service.spec);
      for (const [label, value] of Object.entries(asDoc(spec.selector))) expect(podLabels[label]).toBe(value);
      return asList(spec.ports).map((port) => {
        const target = asDoc(port).targetPort;
        return typeof target === 'number' ? target : containerPorts.get(target);
      });
    });
    expect(servedPorts).toContainEqual([publicPort]);
    expect(servedPorts).toContainEqual([internalPort]);
  });
});

// ---- docs/operations.md ----

const guide = read('docs/operations.md');

/** Markdown outside fenced code blocks. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '');
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const match of prose(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = match[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  return result;
}

describe('docs/operations.md', () => {
  it.each(COMMANDS.map((command) => command.name))('mentions the %s command', (name) => {
    expect(guide).toMatch(new RegExp(`gitlab-bridge ${name}\\b`));
  });

  it('links only to files that exist, and to headings that exist', () => {
    const links = [...prose(guide).matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]!);
    expect(links.length).toBeGreaterThan(10);
    const broken: string[] = [];
    for (const link of links) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue;
      const [file = '', anchor] = link.split('#');
      const target = file === '' ? path.join(ROOT, 'docs/operations.md') : path.resolve(ROOT, 'docs', file);
      if (!existsSync(target)) {
        broken.push(`${link} (no such file)`);
        continue;
      }
      if (anchor && target.endsWith('.md') && !anchors(readFileSync(target, 'utf8')).has(anchor)) broken.push(`${link} (no such heading)`);
    }
    expect(broken).toEqual([]);
  });
});

// ---- the image itself, where Docker is at hand ----

function dockerAnswers(): boolean {
  const result = spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 20_000 });
  return result.error === undefined && result.status === 0;
}
const dockerAvailable = dockerAnswers();

describe('the image', () => {
  (dockerAvailable ? it : it.skip)(
    'builds from the repository',
    () => {
      const tag = `gitlab-bridge:recipes-test-${process.pid}`;
      const build = spawnSync('docker', ['build', '--tag', tag, '.'], { cwd: ROOT, encoding: 'utf8', timeout: 15 * 60_000 });
      spawnSync('docker', ['image', 'rm', '--force', tag], { stdio: 'ignore' });
      expect({ status: build.status, error: build.error?.message, output: build.status === 0 ? '' : `${build.stdout}\n${build.stderr}`.slice(-4000) }).toEqual({
        status: 0,
        error: undefined,
        output: '',
      });
    },
    16 * 60_000,
  );
});
