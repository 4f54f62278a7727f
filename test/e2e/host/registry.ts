/**
 * The plugin registry Mattermost hands `initialize(registry, store)`, for the
 * methods the plugin calls (docs: developers.mattermost.com, webapp reference).
 * What plugins register is kept here, outside Redux (components are not state),
 * and the page re-renders when it changes.
 */
import type React from 'react';
import type { Reducer } from 'redux';
import { registerPluginReducer, rhsActions } from './host-store.js';

type Component = React.ComponentType<Record<string, unknown>>;

export interface RhsEntry { id: string; component: Component; title: React.ReactNode }
export interface AppBarEntry { id: string; iconUrl: string; tooltipText: string; action?: (channel: unknown, member: unknown) => void; rhsId?: string }
export interface HeaderButtonEntry { id: string; icon: React.ReactNode; action: (channel: unknown, member: unknown) => void; dropdownText: string; tooltipText: string }
export interface PostActionEntry { id: string; text: React.ReactNode; action: (postId: string) => void; filter?: (postId: string) => boolean }
/** Mattermost's PostEmbed: `post.metadata.embeds[0]`, as its server makes it (type 'opengraph', 'link', 'image'…, and the link). */
export interface HostPostEmbed { type: string; url: string; data?: unknown }
export interface EmbedEntry { id: string; match: (embed: HostPostEmbed) => boolean; component: Component; toggleable: boolean }

export interface Slots {
  leftSidebarHeader: { id: string; component: Component }[];
  bottomTeamSidebar: { id: string; component: Component }[];
  rhs: RhsEntry[];
  appBar: AppBarEntry[];
  channelHeaderButtons: HeaderButtonEntry[];
  linkTooltips: { id: string; component: Component }[];
  postDropdownActions: PostActionEntry[];
  root: { id: string; component: Component }[];
  popoverUserAttributes: { id: string; component: Component }[];
  postWillRenderEmbeds: EmbedEntry[];
}

export function emptySlots(): Slots {
  return { leftSidebarHeader: [], bottomTeamSidebar: [], rhs: [], appBar: [], channelHeaderButtons: [], linkTooltips: [], postDropdownActions: [], root: [], popoverUserAttributes: [], postWillRenderEmbeds: [] };
}

/**
 * Mattermost accepts most registrations either positionally or as one object of named
 * arguments (its `reArg`); a lone plain object that is not a component is the named form.
 */
function named<T extends Record<string, unknown>>(args: unknown[], names: (keyof T)[]): T {
  const [first] = args;
  const isComponent = typeof first === 'function' || (typeof first === 'object' && first !== null && '$$typeof' in first);
  if (args.length === 1 && typeof first === 'object' && first !== null && !isComponent) return first as T;
  return Object.fromEntries(names.map((name, index) => [name, args[index]])) as T;
}

export function createRegistry(pluginId: string, slots: Slots, changed: () => void) {
  let next = 0;
  const id = (kind: string) => `${pluginId}-${kind}-${(next += 1)}`;
  const add = <K extends keyof Slots>(slot: K, entry: Slots[K][number]) => {
    (slots[slot] as Slots[K][number][]).push(entry);
    changed();
    return entry.id;
  };
  const registerRightHandSidebarComponent = (...args: unknown[]) => {
    const { component, title } = named<{ component: Component; title: React.ReactNode }>(args, ['component', 'title']);
    const rhsId = add('rhs', { id: id('rhs'), component, title });
    return { id: rhsId, ...rhsActions(rhsId) };
  };

  return {
    registerLeftSidebarHeaderComponent: (...args: unknown[]) =>
      add('leftSidebarHeader', { id: id('left-sidebar-header'), component: named<{ component: Component }>(args, ['component']).component }),
    registerBottomTeamSidebarComponent: (...args: unknown[]) =>
      add('bottomTeamSidebar', { id: id('bottom-team-sidebar'), component: named<{ component: Component }>(args, ['component']).component }),
    registerRightHandSidebarComponent,
    registerAppBarComponent(...args: unknown[]) {
      const options = named<{ iconUrl: string; action?: AppBarEntry['action']; tooltipText: string; supportedProductIds?: unknown; rhsComponent?: Component; rhsTitle?: React.ReactNode }>(
        args,
        ['iconUrl', 'action', 'tooltipText', 'supportedProductIds', 'rhsComponent', 'rhsTitle'],
      );
      const rhs = options.rhsComponent ? registerRightHandSidebarComponent({ component: options.rhsComponent, title: options.rhsTitle }) : undefined;
      const appBarId = add('appBar', {
        id: id('app-bar'),
        iconUrl: options.iconUrl,
        tooltipText: options.tooltipText,
        ...(options.action ? { action: options.action } : {}),
        ...(rhs ? { rhsId: rhs.id } : {}),
      });
      return rhs ? { id: appBarId, rhsComponent: rhs } : appBarId;
    },
    registerChannelHeaderButtonAction(...args: unknown[]) {
      const options = named<Omit<HeaderButtonEntry, 'id'>>(args, ['icon', 'action', 'dropdownText', 'tooltipText']);
      return add('channelHeaderButtons', { id: id('channel-header-button'), ...options });
    },
    registerLinkTooltipComponent: (...args: unknown[]) =>
      add('linkTooltips', { id: id('link-tooltip'), component: named<{ component: Component }>(args, ['component']).component }),
    registerPostDropdownMenuAction(...args: unknown[]) {
      const options = named<Omit<PostActionEntry, 'id'>>(args, ['text', 'action', 'filter']);
      return add('postDropdownActions', { id: id('post-dropdown'), ...options });
    },
    registerRootComponent: (...args: unknown[]) => add('root', { id: id('root'), component: named<{ component: Component }>(args, ['component']).component }),
    registerPopoverUserAttributesComponent: (...args: unknown[]) =>
      add('popoverUserAttributes', { id: id('popover-user-attributes'), component: named<{ component: Component }>(args, ['component']).component }),
    // Positional only in Mattermost (plugins/registry.ts registerPostWillRenderEmbedComponent(match, component, toggleable)).
    registerPostWillRenderEmbedComponent(match: EmbedEntry['match'], component: Component, toggleable: boolean) {
      return add('postWillRenderEmbeds', { id: id('post-will-render-embed'), match, component, toggleable: Boolean(toggleable) });
    },
    registerReducer(reducer: Reducer) {
      registerPluginReducer(pluginId, reducer);
    },
  };
}

export type HostRegistry = ReturnType<typeof createRegistry>;
