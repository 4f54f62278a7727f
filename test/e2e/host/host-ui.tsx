/**
 * The parts of Mattermost's screen a plugin plugs into: team sidebar (with its
 * bottom slot), channel sidebar (with its header slot), channel header and App
 * Bar, the center channel's posts (links with tooltips, message attachments
 * with their buttons, the "…" menu, user popovers, reactions, reply counts), the
 * right-hand sidebar (a plugin's panel, or a post's thread), and root components.
 */
import React, { useEffect, useRef, useState } from 'react';
import * as ReactRedux from 'react-redux';
import type { Theme } from 'mattermost-redux/selectors/entities/preferences';
import { getTheme } from 'mattermost-redux/selectors/entities/preferences';
import { makeGetCommentCountForPost } from 'mattermost-redux/selectors/entities/posts';
import { Emoji } from './emoji.js';
import type { HostPost, HostUser } from './host-setup.js';
import { SELECT_POST, UPDATE_RHS_STATE, type HostViews } from './host-store.js';
import { MessageAttachments } from './message-attachments.js';
import { PostText } from './post-text.js';
import type { Slots } from './registry.js';

interface State {
  entities: {
    users: { currentUserId: string; profiles: Record<string, HostUser> };
    teams: { currentTeamId: string; teams: Record<string, { id: string; name: string; display_name: string }> };
    channels: { currentChannelId: string; channels: Record<string, { id: string; display_name: string; team_id: string }> };
    posts: {
      posts: Record<string, HostPost>;
      postsInChannel: Record<string, { order: string[] }[]>;
      /** The replies of each root, by id (mattermost-redux's postsInThread). */
      postsInThread: Record<string, string[]>;
      /** By post, then `<user id>-<emoji name>`. */
      reactions: Record<string, Record<string, { user_id: string; post_id: string; emoji_name: string; create_at: number }>>;
    };
  };
  views: HostViews;
}

const useHost = <T,>(select: (state: State) => T) => ReactRedux.useSelector(select);

export function Host({ slots }: { slots: Slots }): React.ReactElement {
  const theme = ReactRedux.useSelector(getTheme as (state: unknown) => Theme);
  const teams = useHost((state) => state.entities.teams);
  const channels = useHost((state) => state.entities.channels);
  const team = teams.teams[teams.currentTeamId];
  const channel = channels.channels[channels.currentChannelId];
  const teamList = Object.values(teams.teams);
  return (
    <div className="app">
      {teamList.length > 1 ? (
        <nav className="team-sidebar" aria-label="Team sidebar">
          <ul className="team-list">
            {teamList.map((each) => (
              <li key={each.id}>
                <button type="button" className={each.id === team?.id ? 'team active' : 'team'} aria-label={`${each.display_name} team`}>
                  {each.display_name.slice(0, 2)}
                </button>
              </li>
            ))}
          </ul>
          <div className="team-sidebar-bottom">
            {slots.bottomTeamSidebar.map(({ id, component: Component }) => (
              <Component key={id} theme={theme} />
            ))}
          </div>
        </nav>
      ) : null}
      <nav className="sidebar" aria-label="Channel sidebar">
        <div className="sidebar-team-header">{team?.display_name}</div>
        <div className="sidebar-plugin-header">
          {slots.leftSidebarHeader.map(({ id, component: Component }) => (
            <Component key={id} theme={theme} />
          ))}
        </div>
        <h2 className="sidebar-category">Channels</h2>
        <ul className="sidebar-channels">
          {Object.values(channels.channels)
            .filter((each) => each.team_id === team?.id)
            .map((each) => (
              <li key={each.id} className={each.id === channel?.id ? 'active' : ''}>
                # {each.display_name}
              </li>
            ))}
        </ul>
      </nav>
      <main className="center" aria-label="Center channel">
        <header className="channel-header">
          <h1>{channel?.display_name}</h1>
          <div className="channel-header-buttons">
            {slots.channelHeaderButtons.map((button) => (
              <button key={button.id} type="button" className="icon-button" aria-label={button.tooltipText} title={button.tooltipText} onClick={() => button.action(channel, {})}>
                {button.icon}
              </button>
            ))}
          </div>
        </header>
        <PostList slots={slots} theme={theme} />
      </main>
      <RightHandSidebar slots={slots} theme={theme} />
      <AppBar slots={slots} />
      {slots.root.map(({ id, component: Component }) => (
        <Component key={id} theme={theme} />
      ))}
    </div>
  );
}

function AppBar({ slots }: { slots: Slots }): React.ReactElement | null {
  const dispatch = ReactRedux.useDispatch();
  const open = useHost((state) => state.views.rhs.pluggableId);
  const channel = useHost((state) => state.entities.channels.channels[state.entities.channels.currentChannelId]);
  if (slots.appBar.length === 0) return null;
  return (
    <nav className="app-bar" aria-label="App Bar">
      {slots.appBar.map((item) => (
        <button
          key={item.id}
          type="button"
          className={item.rhsId && item.rhsId === open ? 'app-bar-item active' : 'app-bar-item'}
          aria-label={item.tooltipText}
          title={item.tooltipText}
          onClick={() => (item.rhsId ? dispatch({ type: UPDATE_RHS_STATE, pluggableId: open === item.rhsId ? null : item.rhsId }) : item.action?.(channel, {}))}
        >
          <img src={item.iconUrl} alt="" width={24} height={24} />
        </button>
      ))}
    </nav>
  );
}

function RightHandSidebar({ slots, theme }: { slots: Slots; theme: Theme }): React.ReactElement | null {
  const dispatch = ReactRedux.useDispatch();
  const open = useHost((state) => state.views.rhs.pluggableId);
  const thread = useHost((state) => state.views.rhs.selectedPostId);
  const entry = slots.rhs.find((candidate) => candidate.id === open);
  if (thread) return <ThreadSidebar rootId={thread} slots={slots} theme={theme} />;
  if (!entry) return null;
  const Component = entry.component;
  return (
    <aside className="rhs" aria-label="Right-hand sidebar">
      <header className="rhs-header">
        <h2>{entry.title}</h2>
        <button type="button" className="icon-button" aria-label="Close sidebar" onClick={() => dispatch({ type: UPDATE_RHS_STATE, pluggableId: null })}>
          ×
        </button>
      </header>
      <div className="rhs-body">
        <Component theme={theme} />
      </div>
    </aside>
  );
}

/**
 * A post's thread in the right-hand sidebar, as Mattermost's RHS shows it: "Thread" and the channel's name
 * above, the root post, how many replies, then the replies oldest first (components/threading/thread_viewer).
 */
function ThreadSidebar({ rootId, slots, theme }: { rootId: string; slots: Slots; theme: Theme }): React.ReactElement | null {
  const dispatch = ReactRedux.useDispatch();
  const posts = useHost((state) => state.entities.posts.posts);
  const replyIds = useHost((state) => state.entities.posts.postsInThread[rootId] ?? []);
  const channels = useHost((state) => state.entities.channels.channels);
  const root = posts[rootId];
  if (!root) return null;
  const replies = replyIds.map((id) => posts[id]).filter((reply): reply is HostPost => reply !== undefined).sort((a, b) => a.create_at - b.create_at);
  const counted = replies.filter((reply) => reply.type !== 'system_ephemeral').length;
  return (
    <aside className="rhs" aria-label="Right-hand sidebar">
      <header className="rhs-header">
        <div className="rhs-title">
          <h2>Thread</h2>
          <span className="rhs-subtitle">{channels[root.channel_id]?.display_name}</span>
        </div>
        <button type="button" className="icon-button" aria-label="Close sidebar" onClick={() => dispatch({ type: SELECT_POST, postId: null })}>
          ×
        </button>
      </header>
      <div className="rhs-body thread-viewer">
        <div role="list" aria-label="Root post">
          <Post post={root} slots={slots} theme={theme} location="rhs" />
        </div>
        {counted > 0 ? (
          <div className="thread-replies-count" role="separator">
            <span>{counted === 1 ? '1 reply' : `${counted} replies`}</span>
          </div>
        ) : null}
        <div role="list" aria-label="Replies">
          {replies.map((reply) => (
            <Post key={reply.id} post={reply} slots={slots} theme={theme} location="rhs" />
          ))}
        </div>
      </div>
    </aside>
  );
}

function PostList({ slots, theme }: { slots: Slots; theme: Theme }): React.ReactElement {
  const channelId = useHost((state) => state.entities.channels.currentChannelId);
  const order = useHost((state) => state.entities.posts.postsInChannel[channelId]?.[0]?.order ?? []);
  const posts = useHost((state) => state.entities.posts.posts);
  const oldestFirst = [...order].reverse();
  const threadOf = (post: HostPost | undefined) => (post ? post.root_id || post.id : undefined);
  return (
    <div className="post-list" role="list" aria-label="Posts">
      {oldestFirst.map((postId, index) => {
        const post = posts[postId];
        if (!post) return null;
        // With collapsed reply threads off, a reply says what it answers unless it follows its own thread.
        const previous = posts[oldestFirst[index - 1] ?? ''];
        const commentedOn = post.root_id && threadOf(previous) !== post.root_id ? posts[post.root_id] : undefined;
        return <Post key={postId} post={post} slots={slots} theme={theme} location="center" commentedOn={commentedOn} />;
      })}
    </div>
  );
}

function Post({ post, slots, theme, location, commentedOn }: { post: HostPost; slots: Slots; theme: Theme; location: 'center' | 'rhs'; commentedOn?: HostPost }): React.ReactElement {
  const author = useHost((state) => state.entities.users.profiles[post.user_id]);
  const [popover, setPopover] = useState(false);
  const [menu, setMenu] = useState(false);
  const actions = slots.postDropdownActions.filter((action) => !action.filter || action.filter(post.id));
  return (
    <article className="post" role="listitem" aria-label={`Post by ${author?.username ?? 'someone'}`} data-post-id={post.id}>
      <div className="avatar" aria-hidden="true">
        {(author?.username ?? '?').slice(0, 1).toUpperCase()}
      </div>
      <div className="post-body">
        <div className="post-header">
          <button type="button" className="username" onClick={() => setPopover(!popover)}>
            {author?.username}
          </button>
          {author?.is_bot ? <span className="bot-tag">BOT</span> : null}
          <time dateTime={new Date(post.create_at).toISOString()}>{new Date(post.create_at).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })}</time>
          {post.type === 'system_ephemeral' ? <span className="post-visibility">(Only visible to you)</span> : null}
          <div className="post-menu">
            {location === 'center' && !post.root_id ? <ReplyCount post={post} /> : null}
            <button type="button" className="icon-button" aria-label="More" aria-haspopup="menu" aria-expanded={menu} onClick={() => setMenu(!menu)}>
              …
            </button>
            {menu ? (
              <Dismissable onDismiss={() => setMenu(false)}>
                <ul className="menu" role="menu" aria-label="Post actions">
                  {actions.map((action) => (
                    <li key={action.id} role="none">
                      <button
                        type="button"
                        role="menuitem"
                        onClick={() => {
                          setMenu(false);
                          action.action(post.id);
                        }}
                      >
                        {action.text}
                      </button>
                    </li>
                  ))}
                </ul>
              </Dismissable>
            ) : null}
          </div>
        </div>
        {commentedOn ? <CommentedOn root={commentedOn} /> : null}
        <PostText text={post.message} slots={slots} />
        <MessageAttachments postId={post.id} props={post.props} slots={slots} theme={theme} />
        <PostEmbed post={post} slots={slots} />
        <PostReactions postId={post.id} />
        {popover && author ? <UserPopover user={author} slots={slots} theme={theme} hide={() => setPopover(false)} /> : null}
      </div>
    </article>
  );
}

/**
 * A root's replies, as Mattermost shows them on a root post with collapsed reply threads off: a reply icon with
 * the count (components/common/comment_icon, counted by makeGetCommentCountForPost: no ephemeral posts);
 * pressing it opens the thread in the right-hand sidebar.
 */
function ReplyCount({ post }: { post: HostPost }): React.ReactElement | null {
  const dispatch = ReactRedux.useDispatch();
  const [getCount] = useState(makeGetCommentCountForPost);
  const count = ReactRedux.useSelector((state) => getCount(state as never, post as never));
  if (!count) return null;
  return (
    <button type="button" className="icon-button comment-icon" aria-label={count === 1 ? '1 reply' : `${count} replies`} onClick={() => dispatch({ type: SELECT_POST, postId: post.id })}>
      <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
        <path d="M6.5 3.5L2.5 7l4 3.5V8.3c3.6 0 5.6 1 7 3.7-.5-3.8-2.6-6.3-7-6.8z" fill="currentColor" />
      </svg>
      <span>{count}</span>
    </button>
  );
}

/** "Commented on <name>'s message: <its start>", above a reply that does not follow its thread (components/post_view/commented_on). */
function CommentedOn({ root }: { root: HostPost }): React.ReactElement {
  const dispatch = ReactRedux.useDispatch();
  const author = useHost((state) => state.entities.users.profiles[root.user_id]);
  const plain = root.message.split('\n')[0]!.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[*_`]/g, '');
  return (
    <div className="post__commented-on">
      Commented on {author?.username ?? 'someone'}&apos;s message:{' '}
      <button type="button" className="post__commented-on-link" onClick={() => dispatch({ type: SELECT_POST, postId: root.id })}>
        {plain.length > 60 ? `${plain.slice(0, 60)}…` : plain}
      </button>
    </div>
  );
}

/**
 * A post's reactions, one chip per emoji in the order first given, with how many gave it; the current user's own
 * stand out (components/post_view/reaction_list). The names of who reacted are the chip's label, as its tooltip says.
 */
function PostReactions({ postId }: { postId: string }): React.ReactElement | null {
  const reactions = useHost((state) => state.entities.posts.reactions[postId]);
  const profiles = useHost((state) => state.entities.users.profiles);
  const me = useHost((state) => state.entities.users.currentUserId);
  if (!reactions || Object.keys(reactions).length === 0) return null;
  const byEmoji = new Map<string, { userIds: string[]; first: number }>();
  for (const reaction of Object.values(reactions)) {
    const entry = byEmoji.get(reaction.emoji_name) ?? { userIds: [], first: reaction.create_at };
    entry.userIds.push(reaction.user_id);
    entry.first = Math.min(entry.first, reaction.create_at);
    byEmoji.set(reaction.emoji_name, entry);
  }
  return (
    <div className="post-reaction-list" role="group" aria-label="reactions">
      {[...byEmoji.entries()]
        .sort(([, a], [, b]) => a.first - b.first)
        .map(([name, { userIds }]) => {
          const names = userIds.map((id) => (id === me ? 'You' : profiles[id]?.username ?? 'someone'));
          return (
            <button key={name} type="button" className={userIds.includes(me) ? 'post-reaction post-reaction--current-user' : 'post-reaction'} aria-label={`${names.join(', ')} reacted with :${name}:`}>
              <Emoji name={name} />
              <span className="post-reaction__count">{userIds.length}</span>
            </button>
          );
        })}
    </div>
  );
}

/**
 * A post's first link embed through the first plugin component whose `match` takes it, given
 * `{embed, webSocketClient}`, as Mattermost's PostBodyAdditionalContent does
 * (components/post_view/post_body_additional_content/post_body_additional_content.tsx). A toggleable
 * embed gets Mattermost's collapse button, and shows while expanded (its default). Mattermost's own
 * previews (Open Graph cards, images) are not drawn here.
 */
function PostEmbed({ post, slots }: { post: HostPost; slots: Slots }): React.ReactElement | null {
  const [visible, setVisible] = useState(true);
  const embed = post.metadata?.embeds?.[0];
  const entry = embed ? slots.postWillRenderEmbeds.find((candidate) => candidate.match(embed)) : undefined;
  if (!embed || !entry) return null;
  const Component = entry.component;
  return (
    <div className="post-embed">
      {entry.toggleable ? (
        <button type="button" className="post__embed-visibility" aria-label="Toggle Embed Visibility" aria-expanded={visible} onClick={() => setVisible(!visible)}>
          {visible ? '▾' : '▸'}
        </button>
      ) : null}
      {visible ? <Component embed={embed} webSocketClient={null} /> : null}
    </div>
  );
}

/** Closes on Escape or a click outside, as Mattermost's menus and popovers do. */
function Dismissable({ onDismiss, children }: { onDismiss: () => void; children: React.ReactNode }): React.ReactElement {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => event.key === 'Escape' && onDismiss();
    const onClick = (event: MouseEvent) => ref.current && !ref.current.contains(event.target as Node) && onDismiss();
    document.addEventListener('keydown', onKey);
    document.addEventListener('mousedown', onClick);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('mousedown', onClick);
    };
  }, [onDismiss]);
  return <div ref={ref}>{children}</div>;
}

function UserPopover({ user, slots, theme, hide }: { user: HostUser; slots: Slots; theme: Theme; hide: () => void }): React.ReactElement {
  return (
    <Dismissable onDismiss={hide}>
      <div className="popover" role="dialog" aria-label={`Profile of ${user.username}`} data-testid="user-popover">
        <div className="popover-name">
          {user.first_name} {user.last_name}
        </div>
        <div className="popover-username">@{user.username}</div>
        {slots.popoverUserAttributes.map(({ id, component: Component }) => (
          <Component key={id} user={user} hide={hide} status="online" theme={theme} />
        ))}
      </div>
    </Dismissable>
  );
}
