/**
 * The code of a GitLab code link with lines (`…/-/blob/<ref>/<path>#L10-25`), shown under the post
 * that links it, read by the bridge with the viewer's own GitLab account: nobody sees code they may
 * not read, and an unreadable or missing file shows nothing.
 *
 * Mattermost renders a post's first link embed, `post.metadata.embeds[0]`, through the first plugin
 * component whose `match(embed)` is true, giving it `{embed, webSocketClient}` and only while the
 * post's embed is visible (webapp/channels/src/components/post_view/post_body_additional_content/
 * post_body_additional_content.tsx; registry: plugins/registry.ts registerPostWillRenderEmbedComponent).
 * The embed is `{type: 'opengraph' | 'link' | 'image' | …, url, data?}`, and the server makes it only
 * when link previews are on (ServiceSettings.EnableLinkPreviews, server/channels/app/
 * post_metadata.go getEmbedForPost) and only for a post's first link: otherwise no embed, and no
 * preview here. Mobile apps run no webapp plugins: channels can have the bot reply with the code
 * instead (`/gitlab settings channel --code-previews on`).
 */
import React, { useEffect, useState } from 'react';
import { ApiError, type CodePreview } from '../api/client';
import type { Me } from '../api/types';
import { viewerGitLabUrls } from '../format/gitlab-url';
import { usePluginState, useServices } from '../services';
import type { Store } from '../state/store';

/** Mattermost's PostEmbed, as far as the match and the component read it. */
export interface PostEmbed {
  type: string;
  url: string;
  data?: unknown;
}

/** Mattermost's registry method; not in types/mattermost.ts, which declares only the older ones. */
export interface EmbedRegistry {
  registerPostWillRenderEmbedComponent?(match: (embed: PostEmbed) => boolean, component: React.ComponentType<{ embed: PostEmbed }>, toggleable: boolean): string;
}

const ANCHOR = /^#L\d+(?:-L?\d+)?$/;

/** A link to a file's lines under one of the bridge's GitLabs (any host while they are not known yet). */
export function isCodeLinkOn(href: string, gitlabUrls: readonly string[] | undefined): boolean {
  if (!gitlabUrls) return isCodeLink(href, undefined);
  return gitlabUrls.some((gitlabUrl) => isCodeLink(href, gitlabUrl));
}

/** A link to a file's lines under the bridge's GitLab (any host while it is not known yet). */
export function isCodeLink(href: string, gitlabUrl: string | undefined): boolean {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return false;
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || !ANCHOR.test(url.hash) || !url.pathname.includes('/-/blob/')) return false;
  if (!gitlabUrl) return true;
  try {
    const base = new URL(gitlabUrl);
    const root = base.pathname.replace(/\/+$/, '');
    return url.host.toLowerCase() === base.host.toLowerCase() && (!root || url.pathname.startsWith(`${root}/`));
  } catch {
    return false;
  }
}

/**
 * Mattermost's `match`. Before the plugin knows the viewer (its first `/me` call), every GitLab-shaped
 * code link is taken, so the posts drawn at page load get their code; the component then shows nothing
 * for another host's link or a viewer who is not connected. Once known, those are left to Mattermost.
 */
export function matchCodeEmbed(store: Pick<Store<{ me: Me | null }>, 'get'>): (embed: PostEmbed) => boolean {
  return (embed) => {
    if (!embed || (embed.type !== 'opengraph' && embed.type !== 'link') || typeof embed.url !== 'string') return false;
    const me = store.get().me;
    // Once the viewer is known: links of the GitLabs they are connected to.
    return isCodeLinkOn(embed.url, me ? viewerGitLabUrls(me) : undefined);
  };
}

type Shown = { kind: 'code'; preview: CodePreview } | { kind: 'note'; text: string } | null;

/** Answers per link for this page's life: a post redrawn, or the same link in two posts, asks once. */
const cache = new Map<string, Promise<Shown>>();
export function clearCodePreviewCache(): void {
  cache.clear();
}

export function CodePreviewEmbed({ embed }: { embed: PostEmbed }): React.ReactElement | null {
  const { api } = useServices();
  const me = usePluginState((state) => state.me);
  const wanted = Boolean(me && embed?.url && isCodeLinkOn(embed.url, viewerGitLabUrls(me)));
  const [shown, setShown] = useState<Shown>(null);

  useEffect(() => {
    if (!wanted) return;
    let current = true;
    let answer = cache.get(embed.url);
    if (!answer) {
      answer = api.codePreview(embed.url).then(
        (preview): Shown => ({ kind: 'code', preview }),
        // Only a reader of the file hears that it is binary or too large; everything else shows nothing.
        (error: unknown): Shown => (error instanceof ApiError && error.code === 'not_previewable' ? { kind: 'note', text: error.message } : null),
      );
      cache.set(embed.url, answer);
    }
    void answer.then((found) => current && setShown(found));
    return () => {
      current = false;
    };
  }, [wanted, embed?.url, api]);

  if (!wanted || !shown) return null;
  if (shown.kind === 'note') return <div className="glb-hint" data-testid="gitlab-code-preview-note">{shown.text}</div>;
  return <CodeBlock preview={shown.preview} />;
}

const box: React.CSSProperties = {
  marginTop: 8,
  maxWidth: 800,
  border: '1px solid rgba(var(--center-channel-color-rgb),0.16)',
  borderRadius: 4,
  overflow: 'hidden',
  color: 'var(--center-channel-color)',
  background: 'var(--center-channel-bg)',
};
const header: React.CSSProperties = {
  display: 'flex',
  flexWrap: 'wrap',
  gap: 8,
  alignItems: 'baseline',
  padding: '6px 10px',
  fontSize: 12,
  borderBottom: '1px solid rgba(var(--center-channel-color-rgb),0.12)',
  background: 'rgba(var(--center-channel-color-rgb),0.04)',
};
const muted: React.CSSProperties = { color: 'rgba(var(--center-channel-color-rgb),0.64)' };
const pre: React.CSSProperties = {
  margin: 0,
  padding: '6px 0',
  border: 0,
  borderRadius: 0,
  overflowX: 'auto',
  fontSize: 12,
  lineHeight: '18px',
  color: 'var(--center-channel-color)',
  background: 'transparent',
  whiteSpace: 'pre',
};
const number: React.CSSProperties = { display: 'inline-block', minWidth: 40, padding: '0 10px 0 6px', textAlign: 'right', userSelect: 'none', color: 'rgba(var(--center-channel-color-rgb),0.48)' };

/** The language as people write it; Mattermost's name otherwise. */
const LANGUAGE_NAMES: Record<string, string> = {
  typescript: 'TypeScript', javascript: 'JavaScript', python: 'Python', ruby: 'Ruby', go: 'Go', rust: 'Rust', java: 'Java',
  kotlin: 'Kotlin', cpp: 'C/C++', csharp: 'C#', php: 'PHP', bash: 'Shell', yaml: 'YAML', json: 'JSON', xml: 'XML/HTML',
  markdown: 'Markdown', sql: 'SQL', css: 'CSS', scss: 'SCSS', dockerfile: 'Dockerfile', makefile: 'Makefile', swift: 'Swift',
};

function CodeBlock({ preview }: { preview: CodePreview }): React.ReactElement {
  const range = preview.endLine > preview.startLine ? `Lines ${preview.startLine}–${preview.endLine}` : `Line ${preview.startLine}`;
  const language = preview.language ? (Object.hasOwn(LANGUAGE_NAMES, preview.language) ? LANGUAGE_NAMES[preview.language] : preview.language) : null;
  const width = String(preview.endLine).length;
  return (
    <div className="glb-code-preview" data-testid="gitlab-code-preview" style={box}>
      <div style={header}>
        <a className="glb-link" href={preview.permalink} target="_blank" rel="noopener noreferrer" style={{ fontWeight: 600, wordBreak: 'break-all' }}>
          {preview.path}
        </a>
        <span style={muted}>{range}</span>
        {language ? <span className="glb-badge" data-testid="gitlab-code-language">{language}</span> : null}
        <span style={muted}>
          {preview.ref === preview.commitId ? 'at ' : `${preview.ref} at `}
          <code>{preview.commitId.slice(0, 8)}</code>
        </span>
      </div>
      <pre style={pre} data-language={preview.language || undefined}>
        <code>
          {preview.lines.map((line, index) => (
            <div key={index}>
              <span style={number} aria-hidden>
                {String(preview.startLine + index).padStart(width, ' ')}
              </span>
              {line}
            </div>
          ))}
        </code>
      </pre>
      {preview.moreLines > 0 ? (
        <div style={{ ...header, borderBottom: 0, borderTop: '1px solid rgba(var(--center-channel-color-rgb),0.12)' }}>
          <a className="glb-link" href={preview.permalink} target="_blank" rel="noopener noreferrer">
            {`${preview.moreLines} more ${preview.moreLines === 1 ? 'line' : 'lines'} in GitLab`}
          </a>
        </div>
      ) : null}
    </div>
  );
}
