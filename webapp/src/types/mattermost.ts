/**
 * The parts of Mattermost's webapp plugin API this plugin uses. Mattermost
 * publishes no types for the registry, so we declare only what we call.
 */
import type React from 'react';

export interface PluginStore {
  dispatch(action: unknown): unknown;
  getState(): unknown;
  subscribe?(listener: () => void): () => void;
}

export interface RhsRegistration {
  id: string;
  showRHSPlugin: unknown;
  hideRHSPlugin: unknown;
  toggleRHSPlugin: unknown;
}

export interface PluginRegistry {
  registerRightHandSidebarComponent(component: React.ComponentType, title: React.ReactNode): RhsRegistration;
  registerChannelHeaderButtonAction(icon: React.ReactNode, action: () => void, dropdownText: string, tooltipText: string): string;
  registerLeftSidebarHeaderComponent?(component: React.ComponentType): string;
  registerBottomTeamSidebarComponent?(component: React.ComponentType): string;
  /** Mattermost 7+: the App Bar on the right; the channel header button is the fallback without it. */
  registerAppBarComponent?(options: {
    iconUrl: string;
    tooltipText: React.ReactNode;
    supportedProductIds?: string | string[] | null;
    action: () => void;
  }): unknown;
  registerLinkTooltipComponent?(component: React.ComponentType<{ href: string; show: boolean }>): string;
  registerPostDropdownMenuAction?(text: React.ReactNode, action: (postId: string) => void, filter?: (postId: string) => boolean): string;
  registerRootComponent?(component: React.ComponentType): string;
  registerPopoverUserAttributesComponent?(component: React.ComponentType<{ user?: { id?: string }; hide?: () => void; status?: string }>): string;
  /** A page of its own at `/plug/<plugin id>/<route>`, rendered by Mattermost's app whether or not anyone is signed in. */
  registerCustomRoute?(route: string, component: React.ComponentType): string;
}

export interface MattermostPlugin {
  initialize(registry: PluginRegistry, store: PluginStore): void | Promise<void>;
  uninitialize?(): void;
}

declare global {
  interface Window {
    registerPlugin(id: string, plugin: MattermostPlugin): void;
  }
}
