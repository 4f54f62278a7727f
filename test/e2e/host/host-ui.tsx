/**
 * The parts of Mattermost's screen a plugin plugs into: team sidebar (with its
 * bottom slot), channel sidebar (with its header slot), channel header and App
 * Bar, the center channel's posts (links with tooltips, message attachments
 * with their buttons, the "…" menu, user popovers), the right-hand sidebar, and
 * root components.
 */
import React, { useEffect, useRef, useState } from 'react';
import * as ReactRedux from 'react-redux';
import type { Theme } from 'mattermost-redux/selectors/entities/preferences';
import { getTheme } from 'mattermost-redux/selectors/entities/preferences';
import type { HostPost, HostUser } from './host-setup.js';
import { UPDATE_RHS_STATE, type HostViews } from './host-store.js';
import { MessageAttachments } from './message-attachments.js';
import { PostText } from './post-text.js';
import type { Slots } from './registry.js';

interface State {
  entities: {
    users: { currentUserId: string; profiles: Record<string, HostUser> };
    teams: { currentTeamId: string; teams: Record<string, { id: string; name: string; display_name: string }> };
    channels: { currentChannelId: string; channels: Record<string, { id: string; display_name: string; team_id: string }> };
    posts: { posts: Record<string, HostPost>; postsInChannel: Record<string, { order: string[] }[]> };
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
  const entry = slots.rhs.find((candidate) => candidate.id === open);
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

function PostList({ slots, theme }: { slots: Slots; theme: Theme }): React.ReactElement {
  const channelId = useHost((state) => state.entities.channels.currentChannelId);
  const order = useHost((state) => state.entities.posts.postsInChannel[channelId]?.[0]?.order ?? []);
  const posts = useHost((state) => state.entities.posts.posts);
  return (
    <div className="post-list" role="list" aria-label="Posts">
      {[...order].reverse().map((postId) => {
        const post = posts[postId];
        return post ? <Post key={postId} post={post} slots={slots} theme={theme} /> : null;
      })}
    </div>
  );
}

function Post({ post, slots, theme }: { post: HostPost; slots: Slots; theme: Theme }): React.ReactElement {
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
        <PostText text={post.message} slots={slots} />
        <MessageAttachments postId={post.id} props={post.props} slots={slots} theme={theme} />
        <PostEmbed post={post} slots={slots} />
        {popover && author ? <UserPopover user={author} slots={slots} theme={theme} hide={() => setPopover(false)} /> : null}
      </div>
    </article>
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
