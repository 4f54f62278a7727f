import React from 'react';
import { SetupPanel } from './components/setup-panel';
import { PLUGIN_ID, publicFileUrl } from './manifest';
import { siteUrlOf } from './site-url';
import type { MattermostPlugin, PluginRegistry, PluginStore } from './types/mattermost';

/** Registers everything the plugin adds to Mattermost. */
export class Plugin implements MattermostPlugin {
  initialize(registry: PluginRegistry, store: PluginStore): void {
    const rhs = registry.registerRightHandSidebarComponent(SetupPanel, 'GitLab');
    const icon = <img src={publicFileUrl(siteUrlOf(store.getState()), 'icon.svg')} alt="" width={18} height={18} />;
    registry.registerChannelHeaderButtonAction(icon, () => store.dispatch(rhs.toggleRHSPlugin), 'GitLab', 'GitLab');
  }
}

window.registerPlugin(PLUGIN_ID, new Plugin());
