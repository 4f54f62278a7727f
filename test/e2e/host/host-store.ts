/**
 * The host's Redux store: mattermost-redux's own configureStore and reducers,
 * preloaded with what Mattermost's webapp has loaded by the time plugins start,
 * plus the slice of `views` the plugin API touches (the right-hand sidebar).
 */
import { Preferences } from 'mattermost-redux/constants';
import * as initialStateModule from 'mattermost-redux/store/initial_state';
import * as reducerRegistryModule from 'mattermost-redux/store/reducer_registry';
import * as storeModule from 'mattermost-redux/store';
import type { Reducer, Store } from 'redux';
import type { HostSetup, HostThemeName } from './host-setup.js';

/**
 * The default export of a CommonJS module: webpack hands it over as `.default`, while the
 * type checker (NodeNext) sees the whole module there and its default one level further.
 */
function unwrap<T>(value: { default: T }): T {
  return (typeof value === 'object' && value !== null && 'default' in value ? value.default : value) as T;
}
const configureStore = unwrap(storeModule.default);
const initialState = unwrap(initialStateModule.default);
const reducerRegistry = unwrap(reducerRegistryModule.default);

export interface HostViews {
  /** The right-hand sidebar shows one thing: a plugin's panel or a post's thread (`selectedPostId`, its root). */
  rhs: { pluggableId: string | null; selectedPostId: string | null };
}

export const UPDATE_RHS_STATE = 'UPDATE_RHS_STATE';
/** Mattermost's ActionTypes.SELECT_POST: opening a post's thread in the right-hand sidebar (null closes it). */
export const SELECT_POST = 'SELECT_POST';
type RhsAction = { type: typeof UPDATE_RHS_STATE; pluggableId: string | null };
type SelectPostAction = { type: typeof SELECT_POST; postId: string | null };

function views(state: HostViews = { rhs: { pluggableId: null, selectedPostId: null } }, action: RhsAction | SelectPostAction | { type: string }): HostViews {
  if (action.type === UPDATE_RHS_STATE) return { rhs: { pluggableId: (action as RhsAction).pluggableId, selectedPostId: null } };
  if (action.type === SELECT_POST) return { rhs: { pluggableId: null, selectedPostId: (action as SelectPostAction).postId } };
  return state;
}

/** The Redux actions Mattermost hands a plugin for its RHS: thunks, as in Mattermost. */
export function rhsActions(pluggableId: string) {
  type Thunk = (dispatch: (action: RhsAction) => void, getState: () => { views: HostViews }) => void;
  const open = (): RhsAction => ({ type: UPDATE_RHS_STATE, pluggableId });
  const showRHSPlugin: Thunk = (dispatch) => dispatch(open());
  const hideRHSPlugin: Thunk = (dispatch, getState) => {
    if (getState().views.rhs.pluggableId === pluggableId) dispatch({ type: UPDATE_RHS_STATE, pluggableId: null });
  };
  const toggleRHSPlugin: Thunk = (dispatch, getState) =>
    dispatch(getState().views.rhs.pluggableId === pluggableId ? { type: UPDATE_RHS_STATE, pluggableId: null } : open());
  return { showRHSPlugin, hideRHSPlugin, toggleRHSPlugin };
}

export function themePreference(userId: string, theme: HostThemeName) {
  return { user_id: userId, category: Preferences.CATEGORY_THEME, name: '', value: JSON.stringify(Preferences.THEMES[theme]) };
}

export function createHostStore(setup: HostSetup): Store {
  const byId = <T extends { id: string }>(items: T[]) => Object.fromEntries(items.map((item) => [item.id, item]));
  const now = Date.now();
  const profiles = setup.users.map((user) => ({
    ...user,
    nickname: '',
    email: `${user.username}@example.com`,
    roles: 'system_user',
    locale: 'en',
    position: '',
    create_at: now,
    update_at: now,
    delete_at: 0,
    auth_service: '',
    is_bot: user.is_bot ?? false,
  }));
  const channels = setup.channels.map((channel) => ({ ...channel, header: '', purpose: '', delete_at: 0, create_at: now, update_at: now, creator_id: setup.currentUserId }));
  const posts = setup.posts.map((post) => ({
    update_at: post.create_at,
    edit_at: 0,
    delete_at: 0,
    is_pinned: false,
    type: '',
    props: {},
    hashtags: '',
    original_id: '',
    pending_post_id: '',
    reply_count: 0,
    metadata: {},
    ...post,
  }));
  const state = {
    entities: {
      general: { config: { SiteURL: setup.siteUrl, DefaultTheme: 'denim', Version: '11.0.0' }, license: {}, serverVersion: '11.0.0' },
      users: { currentUserId: setup.currentUserId, profiles: byId(profiles) },
      teams: {
        currentTeamId: setup.currentTeamId,
        teams: byId(setup.teams),
        myMembers: Object.fromEntries(setup.teams.map((team) => [team.id, { team_id: team.id, user_id: setup.currentUserId, roles: 'team_user' }])),
      },
      channels: {
        currentChannelId: setup.currentChannelId,
        channels: byId(channels),
        channelsInTeam: Object.fromEntries(setup.teams.map((team) => [team.id, channels.filter((channel) => channel.team_id === team.id).map((channel) => channel.id)])),
        myMembers: Object.fromEntries(channels.map((channel) => [channel.id, { channel_id: channel.id, user_id: setup.currentUserId, roles: 'channel_user' }])),
      },
      posts: {
        posts: byId(posts),
        postsInChannel: Object.fromEntries(
          channels.map((channel) => [channel.id, [{ order: posts.filter((post) => post.channel_id === channel.id).map((post) => post.id).reverse(), recent: true }]]),
        ),
      },
      preferences: { myPreferences: { [`${Preferences.CATEGORY_THEME}--`]: themePreference(setup.currentUserId, setup.theme) } },
    },
  };
  // configureStore spreads the preloaded state over its initial state one level deep: give each entity its defaults.
  const initial = (initialState as unknown as { entities: Record<string, Record<string, unknown>> }).entities;
  const entities = Object.fromEntries(
    Object.entries(initial).map(([name, slice]) => [name, { ...slice, ...(state.entities as Record<string, Record<string, unknown> | undefined>)[name] }]),
  );
  return configureStore({ appReducers: { views: views as Reducer }, getAppReducers: () => ({ views: views as Reducer }), preloadedState: { entities } as never });
}

/** Mattermost keeps each plugin's reducer under `plugins-<id>`. */
export function registerPluginReducer(pluginId: string, reducer: Reducer): void {
  reducerRegistry.register(`plugins-${pluginId}`, reducer);
}
