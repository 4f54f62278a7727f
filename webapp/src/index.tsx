/**
 * The plugin: one class that registers everything gitlab-bridge adds to Mattermost and wires it to
 * the bridge's API and live stream.
 */
import React from 'react';
import { apiBase, createApiClient } from './api/client';
import { CodePreviewEmbed, matchCodeEmbed, type EmbedRegistry } from './components/code-preview';
import { ConnectRoute } from './components/connect-route';
import { PluginRoot } from './components/issue-modals';
import { LinkTooltip } from './components/link-tooltip';
import { RhsPanel } from './components/rhs-panel';
import { CompactSidebarCounters, SidebarCounters } from './components/sidebar-counters';
import { UserAttribute } from './components/user-attribute';
import { createLiveClient, type EventSourceFactory, type LiveClient } from './live/live-client';
import { PLUGIN_ID, publicFileUrl } from './manifest';
import { withServices, type Services } from './services';
import { siteUrlOf } from './site-url';
import { createController } from './state/controller';
import { createStore, initialState } from './state/store';
import { addStyles } from './styles';
import type { MattermostPlugin, PluginRegistry, PluginStore, RhsRegistration } from './types/mattermost';

const TITLE = 'GitLab';

export interface PluginOptions {
  fetch?: typeof fetch;
  openEventSource?: EventSourceFactory;
  openWindow?: (url: string, name: string, features: string) => { closed: boolean } | null;
  debounceMs?: number;
  /** Leaves Mattermost's app for another page of the site (a full page load). */
  navigate?: (url: string) => void;
}

export class Plugin implements MattermostPlugin {
  private live: LiveClient | null = null;
  /** Everything the registered components share; set by initialize. */
  services: Services | null = null;

  constructor(private readonly options: PluginOptions = {}) {}

  initialize(registry: PluginRegistry, host: PluginStore): void {
    addStyles();
    const siteUrl = () => siteUrlOf(host.getState());
    const store = createStore(initialState);
    const api = createApiClient({
      siteUrl,
      fetch: this.options.fetch,
      onReachability: (reachable) => {
        if (store.get().reachable !== reachable) store.set({ reachable });
      },
    });
    // The panel's show action exists only once the panel is registered, which needs the services.
    let rhs: RhsRegistration | null = null;
    const controller = createController({
      api,
      store,
      siteUrl,
      showPanel: () => rhs && host.dispatch(rhs.showRHSPlugin),
      openWindow: this.options.openWindow,
    });
    const services: Services = { api, store, controller, host, debounceMs: this.options.debounceMs ?? 250 };
    this.services = services;
    const wrap = <P extends object>(component: React.ComponentType<P>) => withServices(services, component);

    const panel = registry.registerRightHandSidebarComponent(wrap(RhsPanel), TITLE);
    rhs = panel;

    registry.registerLeftSidebarHeaderComponent?.(wrap(SidebarCounters));
    registry.registerBottomTeamSidebarComponent?.(wrap(CompactSidebarCounters));
    const toggle = () => host.dispatch(panel.toggleRHSPlugin);
    const iconUrl = publicFileUrl(siteUrl(), 'icon.svg');
    if (typeof registry.registerAppBarComponent === 'function') {
      registry.registerAppBarComponent({ iconUrl, tooltipText: TITLE, supportedProductIds: null, action: toggle });
    } else {
      registry.registerChannelHeaderButtonAction(<img src={iconUrl} alt="" width={18} height={18} />, toggle, TITLE, TITLE);
    }
    registry.registerLinkTooltipComponent?.(wrap(LinkTooltip));
    // The code of GitLab code links under their posts; collapsible like Mattermost's own previews (components/code-preview.tsx).
    (registry as PluginRegistry & EmbedRegistry).registerPostWillRenderEmbedComponent?.(matchCodeEmbed(store), wrap(CodePreviewEmbed), true);
    registry.registerRootComponent?.(wrap(PluginRoot));
    registry.registerPopoverUserAttributesComponent?.(wrap(UserAttribute));
    // Where Mattermost's login brings a browser back to a connect link: /plug/gitlab-bridge/connect?link=…
    const navigate = this.options.navigate ?? ((url: string) => window.location.assign(url));
    const Connect = (): React.ReactElement => <ConnectRoute navigate={navigate} />;
    registry.registerCustomRoute?.('connect', wrap(Connect));
    // Both write to GitLab: not offered by a read-only bridge.
    const writes = () => store.get().me?.features.writes !== false;
    registry.registerPostDropdownMenuAction?.('Create GitLab issue', (postId) => store.set({ modal: { kind: 'create', postId } }), writes);
    registry.registerPostDropdownMenuAction?.('Attach to GitLab issue', (postId) => store.set({ modal: { kind: 'attach', postId } }), writes);

    this.live = createLiveClient({
      url: `${apiBase(siteUrl())}/events`,
      open: this.options.openEventSource,
      onEvent: (name, data) => void controller.applyEvent(name, data),
      onState: (state) => controller.setLive(state),
    });
    void controller.loadMe().then(async () => {
      await controller.refreshCounts();
      this.live?.start();
    });
  }

  uninitialize(): void {
    this.live?.stop();
    this.live = null;
  }
}

window.registerPlugin(PLUGIN_ID, new Plugin());
