/**
 * The admin status page at GET / (public listener). It is reachable through the
 * reverse proxy, so it shows whether each setting is present, never its value,
 * and only URLs that are public anyway.
 */
import type { Readiness } from '../readiness.js';

export interface SetupPageInput {
  version: string;
  readiness: Readiness;
  settings: { name: string; present: boolean; purpose: string }[];
  publicUrl: string | undefined;
  publicPort: number;
  database: 'embedded' | 'external';
}

export function renderSetupPage(input: SetupPageInput): string {
  const { readiness } = input;
  const status = readiness.ready ? 'Ready' : 'Not ready';
  const rows = input.settings
    .map(
      (setting) =>
        `<tr><td><code>${escapeHtml(setting.name)}</code></td><td class="${setting.present ? 'ok' : 'missing'}">${
          setting.present ? 'set' : 'missing'
        }</td><td>${escapeHtml(setting.purpose)}</td></tr>`,
    )
    .join('\n');
  const problems = readiness.errors.map((error) => `<li>${escapeHtml(error)}</li>`).join('');
  const warnings = readiness.warnings.map((warning) => `<li>${escapeHtml(warning)}</li>`).join('');
  const base = input.publicUrl ?? '&lt;MATTERMOST_SITE_URL&gt;/plugins/gitlab-bridge';
  const publicUrl = input.publicUrl ? escapeHtml(input.publicUrl) : base;

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GitLab Bridge for Mattermost</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #1f2328; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; } td, th { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid #d0d7de; }
.ok { color: #1a7f37; } .missing { color: #cf222e; font-weight: 600; }
.status { display: inline-block; padding: .1rem .6rem; border-radius: 1rem; background: ${readiness.ready ? '#dafbe1' : '#ffebe9'}; }
pre { background: #f6f8fa; padding: 1rem; overflow-x: auto; }
</style>
</head>
<body>
<h1>GitLab Bridge for Mattermost <small>${escapeHtml(input.version)}</small></h1>
<p>Status: <span class="status" id="status">${status}</span> · database: ${input.database === 'embedded' ? 'embedded PostgreSQL' : 'external PostgreSQL'}</p>
${problems ? `<h2>Problems</h2><ul id="problems">${problems}</ul>` : ''}
${warnings ? `<h2>Not answering right now</h2><ul id="warnings">${warnings}</ul>` : ''}
<h2>Settings</h2>
<p>Set these in the bridge's environment or in a <code>.env</code> file beside it, then restart.</p>
<table id="settings"><thead><tr><th>Variable</th><th>State</th><th>Why it matters</th></tr></thead><tbody>
${rows}
</tbody></table>
<h2>GitLab</h2>
${gitlabSection(readiness, publicUrl)}
<h2>Good to know</h2>
<ul id="notes">
<li><b>Several GitLab instances</b>: name the others in <code>GITLAB_INSTANCES</code> and give each its <code>GITLAB_&lt;NAME&gt;_*</code> settings; each has its own webhook URL (above) and secret, and people connect to each with <code>/gitlab connect &lt;name&gt;</code>.</li>
<li><b>Groups on GitLab Free</b>: group webhooks need Premium. <code>/gitlab webhook add &lt;group&gt; --projects</code> puts a hook on every project of the group where the person is Maintainer, and the bridge keeps that set in step (hourly); <code>/gitlab subscriptions list</code> shows how many projects are covered.</li>
<li><b>Read-only</b>: <code>GITLAB_OAUTH_SCOPES=read_api</code> (per instance) connects people with read access only: notifications, lists, previews and to-dos work; nothing is written to GitLab, and commands that would write say so.</li>
<li><b>Moving over from the official GitLab plugin</b>: <code>gitlab-bridge import official-plugin</code> shows what it would recreate (a dry run until <code>--apply</code>); disable the official plugin, or run <code>gitlab-bridge setup --trigger &lt;word&gt;</code>, so that <code>/gitlab</code> reaches this bridge.</li>
</ul>
<p>Step by step: <code>docs/operations.md</code> in the bridge's release.</p>
<h2>Reverse proxy</h2>
<p>Add this to the nginx <code>server</code> block that serves Mattermost, so browsers and GitLab reach the bridge on Mattermost's origin:</p>
<pre>${escapeHtml(nginxSnippet(input.publicPort))}</pre>
</body>
</html>
`;
}

/**
 * Each GitLab's webhook URL (its own path: a delivery is that instance's because it came through its
 * door, with its secret), and the one OAuth redirect URI every instance's application is given.
 */
function gitlabSection(readiness: Readiness, publicUrl: string): string {
  const instances = readiness.gitlabInstances ?? [];
  const redirect = `OAuth redirect URI (every instance's application): <code>${publicUrl}/oauth/complete</code>`;
  if (instances.length <= 1) {
    const access = instances[0]?.scopes === 'read_api' ? '<br>Access: read-only (<code>GITLAB_OAUTH_SCOPES=read_api</code>): the bridge never writes to GitLab' : '';
    return `<p>Webhook URL: <code>${publicUrl}/webhook</code><br>${redirect}${access}</p>`;
  }
  const rows = instances
    .map(
      (instance) =>
        `<tr><td>${escapeHtml(instance.label)}${instance.name === 'default' ? ' (default)' : ''}</td><td><code>${escapeHtml(instance.url)}</code></td><td><code>${publicUrl}${instance.webhookPath}</code></td>` +
        `<td class="${instance.webhookSecret ? 'ok' : 'missing'}">${instance.webhookSecret ? 'set' : 'missing'}</td><td class="${instance.oauth ? 'ok' : 'missing'}">${instance.oauth ? 'set' : 'missing'}</td>` +
        `<td>${instance.scopes === 'read_api' ? 'read-only' : 'read and write'}</td><td class="${instance.state === 'ok' ? 'ok' : 'missing'}">${escapeHtml(instance.state === 'ok' ? 'answers' : instance.detail)}</td></tr>`,
    )
    .join('\n');
  return `<p>${redirect}</p>
<table id="gitlab-instances"><thead><tr><th>Instance</th><th>URL</th><th>Webhook URL</th><th>Webhook secret</th><th>OAuth application</th><th>Access</th><th>Reachable</th></tr></thead><tbody>
${rows}
</tbody></table>`;
}

/** Paths under /plugins/gitlab-bridge/ that belong to the bridge; the rest (public/) stays with Mattermost. */
export const PROXIED_PATHS = ['webhook', 'oauth/', 'api/v1/'] as const;

/** The nginx locations that send the bridge's paths on Mattermost's origin to the public listener. */
export function nginxSnippet(publicPort: number, bridgeHost = '127.0.0.1'): string {
  return PROXIED_PATHS.map(
    (route) => `location ^~ /plugins/gitlab-bridge/${route} {
    proxy_pass http://${bridgeHost}:${publicPort}/${route};
    proxy_http_version 1.1;
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_buffering off;        # live updates (server-sent events)
    proxy_read_timeout 1h;
    client_max_body_size 25m;   # GitLab's largest webhook
}`,
  ).join('\n');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
