/** `gitlab-bridge render`: a webhook payload in, the posts it would make out, as JSON. */
import { readFile } from 'node:fs/promises';
import { isIgnored } from '../gitlab/events/event.js';
import { parseEvent } from '../gitlab/events/parse-event.js';
import { objectKey } from '../delivery/object-status.js';
import { renderPost } from '../render/render-post.js';
import type { RenderStyle } from '../rules/subscription.js';
import { BridgeError } from '../errors.js';
import type { Invocation } from './main.js';

const STYLES: readonly RenderStyle[] = ['full', 'compact', 'title'];

export async function runRender({ values, positionals, io }: Invocation): Promise<number> {
  const header = typeof values.event === 'string' ? values.event.trim() : '';
  if (!header) throw usage('render: --event is required, e.g. --event "Merge Request Hook" (try \'gitlab-bridge render --help\')');
  const style = (values.style ?? 'full') as RenderStyle;
  if (!STYLES.includes(style)) throw usage(`render: --style must be full, compact or title, not '${String(values.style)}'`);
  const file = positionals[0];
  if (!file) throw usage('render: name the payload file (or - for stdin) (try \'gitlab-bridge render --help\')');

  let text: string;
  try {
    text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (error) {
    throw usage(`render: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    throw usage(`render: ${file} is not valid JSON`);
  }

  const event = parseEvent(header, payload);
  if (isIgnored(event)) {
    io.err(`no post: ${event.ignored}`);
    io.out('[]');
    return 0;
  }
  const gitlabUrl = typeof values['gitlab-url'] === 'string' ? values['gitlab-url'] : undefined;
  const post = { message: renderPost(event, style, { gitlabUrl }).message, thread: objectKey(event), kind: event.kind, action: event.action, key: event.key };
  io.out(JSON.stringify([post], null, 2));
  return 0;
}

function usage(message: string): BridgeError {
  return new BridgeError('usage', message);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
