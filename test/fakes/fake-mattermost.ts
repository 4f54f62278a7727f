/**
 * A Mattermost server on loopback for tests. Every request is validated against
 * Mattermost's OpenAPI spec (test/fixtures/mattermost); anything the spec does
 * not allow is answered 400/404 and recorded in `violations`, which tests expect
 * to stay empty. Operations are answered by handlers keyed by operationId.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import yaml from 'js-yaml';
import { OpenAPIBackend, type Request as ApiRequest } from 'openapi-backend';

const SPEC = new URL('../fixtures/mattermost/mattermost-openapi-v4.yaml', import.meta.url);

let api: Promise<OpenAPIBackend> | undefined;
function loadApi(): Promise<OpenAPIBackend> {
  api ??= (async () => {
    const definition = yaml.load(readFileSync(SPEC, 'utf8')) as ConstructorParameters<typeof OpenAPIBackend>[0]['definition'];
    const backend = new OpenAPIBackend({ definition, quick: true, strict: false, ajvOpts: { strict: false } });
    await backend.init();
    return backend;
  })();
  return api;
}

export interface FakeUser {
  id: string;
  username: string;
  is_bot: boolean;
  roles: string;
}

export interface RecordedRequest {
  operationId: string | undefined;
  method: string;
  path: string;
  body: unknown;
  userId: string | undefined;
}

interface Context {
  params: Record<string, string>;
  body: unknown;
  user: FakeUser | undefined;
}
type Reply = { status: number; body: unknown };
type Handler = (context: Context) => Reply;

export interface FakeMattermost {
  url: string;
  requests: RecordedRequest[];
  violations: string[];
  /** A user with a personal access token; bots are users with is_bot. */
  addUser(username: string, options?: { bot?: boolean }): { user: FakeUser; token: string };
  close(): Promise<void>;
}

export async function startFakeMattermost(): Promise<FakeMattermost> {
  const backend = await loadApi();
  const users = new Map<string, FakeUser>();
  const tokens = new Map<string, string>();
  const requests: RecordedRequest[] = [];
  const violations: string[] = [];

  const handlers: Record<string, Handler> = {
    GetUser: ({ params, user }) => {
      if (!user) return appError(401, 'api.context.session_expired.app_error', 'Invalid or expired session, please login again.');
      const target = params.user_id === 'me' ? user : users.get(params.user_id ?? '');
      return target ? { status: 200, body: target } : appError(404, 'app.user.missing_account.const', 'Unable to find the user.');
    },
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = raw === '' ? undefined : raw;
      if (raw !== '' && /json/.test(req.headers['content-type'] ?? '')) {
        try {
          body = JSON.parse(raw);
        } catch {
          violations.push(`${req.method} ${url.pathname}: body is not valid JSON`);
        }
      }
      const request: ApiRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers as Record<string, string>,
        body,
      };
      const operation = backend.matchOperation(request);
      const user = userFor(req.headers);
      requests.push({ operationId: operation?.operationId, method: request.method, path: url.pathname, body, userId: user?.id });
      const send = ({ status, body: payload }: Reply) => {
        res.writeHead(status, { 'Content-Type': 'application/json', 'X-Request-Id': randomBytes(13).toString('hex') });
        res.end(JSON.stringify(payload));
      };

      if (!operation) {
        violations.push(`${request.method} ${url.pathname}: no such operation in the Mattermost API`);
        return send(appError(404, 'api.context.404.app_error', 'Sorry, we could not find the page.'));
      }
      const validation = backend.validateRequest(request, operation);
      if (!validation.valid) {
        const why = (validation.errors ?? []).map((e) => `${e.instancePath} ${e.message}`).join('; ');
        violations.push(`${operation.operationId} (${request.method} ${url.pathname}): ${why}`);
        return send(appError(400, 'api.context.invalid_param.app_error', why));
      }
      const handler = handlers[operation.operationId ?? ''];
      if (!handler) {
        violations.push(`${operation.operationId}: the fake does not implement it yet`);
        return send(appError(501, 'fake.not_implemented', `${operation.operationId} is not implemented by the fake`));
      }
      const params = backend.router.parseRequest(request, operation).params as Record<string, string>;
      send(handler({ params, body, user }));
    });
  });

  function userFor(headers: http.IncomingHttpHeaders): FakeUser | undefined {
    const bearer = /^bearer\s+(\S+)$/i.exec(headers.authorization ?? '')?.[1];
    const cookie = /(?:^|;\s*)MMAUTHTOKEN=([^;]+)/.exec(headers.cookie ?? '')?.[1];
    const userId = tokens.get(bearer ?? cookie ?? '');
    return userId ? users.get(userId) : undefined;
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    violations,
    addUser(username, options = {}) {
      const user: FakeUser = { id: mattermostId(), username, is_bot: options.bot ?? false, roles: 'system_user' };
      const token = mattermostId();
      users.set(user.id, user);
      tokens.set(token, user.id);
      return { user, token };
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function appError(status: number, id: string, message: string): Reply {
  return { status, body: { id, message, detailed_error: '', request_id: mattermostId(), status_code: status } };
}

/** Mattermost ids: 26 characters of lower-case base32. */
function mattermostId(): string {
  const alphabet = 'abcdefghijkmnopqrstuwxyz13456789';
  return Array.from(randomBytes(26), (byte) => alphabet[byte % 32]).join('');
}
