/**
 * The parts of Mattermost's webapp plugin API this plugin uses. Mattermost
 * publishes no types for the registry, so we declare only what we call.
 */
import type React from 'react';

export interface PluginStore {
  dispatch(action: unknown): unknown;
  getState(): unknown;
}

export interface PluginRegistry {
  registerRightHandSidebarComponent(
    component: React.ComponentType,
    title: React.ReactNode,
  ): { id: string; showRHSPlugin: unknown; hideRHSPlugin: unknown; toggleRHSPlugin: unknown };
  registerChannelHeaderButtonAction(
    icon: React.ReactNode,
    action: () => void,
    dropdownText: string,
    tooltipText: string,
  ): string;
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
