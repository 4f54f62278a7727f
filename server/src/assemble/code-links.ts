/**
 * The listener's answer to GitLab code links in channels that asked for it
 * (conversations/code-preview-replies.ts), posted through the channel gateway.
 * It waits for GitLab, which may be slow, so it runs beside the listener's
 * queue, at most a few at once (beyond that the queue waits): replies are
 * recorded without waiting for it.
 */
import type { ChatEventHandler } from '../conversations/chat-events.js';
import { createCodePreviewReplies, type CodePreviewInstance } from '../conversations/code-preview-replies.js';
import type { Logger } from '../log.js';
import type { ChannelGateway } from '../mattermost/channel-gateway.js';
import type { Queryable } from '../store/queryable.js';

const AT_ONCE = 8;

export interface CodeLinkDeps {
  db: Queryable;
  gateway: ChannelGateway;
  /** Every configured GitLab (its budgeted client, URL and people's connections there), the default first. */
  instances: readonly CodePreviewInstance[];
  botUserId: string;
  log: Logger;
}

export function answerCodeLinks(deps: CodeLinkDeps): ChatEventHandler {
  const { gateway } = deps;
  const handler = createCodePreviewReplies({
    db: deps.db,
    instances: deps.instances,
    gateway: {
      currentType: (channelId) => gateway.currentType(channelId),
      async createReply({ channelId, rootId, message, forPostId }) {
        const access = await gateway.ensureCanPost(channelId);
        if (!access.ok) throw new Error(access.reason);
        return gateway.createPost({ channelId, rootId, message, outboxId: `code-preview:${forPostId}` });
      },
    },
    botUserId: async () => deps.botUserId,
    log: deps.log.child({ part: 'code-previews' }),
  });
  let running = 0;
  const waiting: (() => void)[] = [];
  return {
    async handle(event, source) {
      while (running >= AT_ONCE) await new Promise<void>((resolve) => waiting.push(resolve));
      running += 1;
      void handler.handle(event, source).finally(() => {
        running -= 1;
        waiting.shift()?.();
      });
    },
  };
}
