/**
 * The HTML of the stand-in Mattermost page: its layout styles (colours only
 * from the theme variables, as Mattermost's own CSS), the setup data, the host
 * script, then the plugin bundle from where Mattermost serves it.
 */
import type { HostSetup } from './host-setup.js';

export const BUNDLE_PATH = '/static/plugins/gitlab-bridge/gitlab-bridge_bundle.js';
export const HOST_SCRIPT_PATH = '/static/host.js';

const STYLE = `
*{box-sizing:border-box}
html,body,#root{margin:0;height:100%}
body{font-family:"Open Sans","Noto Sans","DejaVu Sans",sans-serif;font-size:14px;background:var(--center-channel-bg);color:var(--center-channel-color)}
a{color:var(--link-color)}
.mention-link{text-decoration:none}
button{font:inherit;color:inherit}
.app{display:flex;height:100%;overflow:hidden}
.team-sidebar{width:65px;background:var(--sidebar-team-bar-bg);display:flex;flex-direction:column;justify-content:space-between;padding:12px 0;align-items:center}
.team-list{list-style:none;margin:0;padding:0}
.team{width:40px;height:40px;border-radius:8px;border:none;background:rgba(var(--sidebar-text-rgb),0.16);color:var(--sidebar-text);margin-bottom:12px;cursor:pointer}
.team.active{box-shadow:0 0 0 3px rgba(var(--sidebar-text-rgb),0.64)}
.team-sidebar-bottom{width:100%}
.sidebar{width:240px;background:var(--sidebar-bg);color:var(--sidebar-text);display:flex;flex-direction:column;flex-shrink:0}
.sidebar-team-header{background:var(--sidebar-header-bg);color:var(--sidebar-header-text-color);font-weight:600;font-size:16px;padding:14px 16px}
.sidebar-category{font-size:12px;text-transform:uppercase;letter-spacing:.02em;color:rgba(var(--sidebar-text-rgb),0.64);margin:16px 16px 6px}
.sidebar-channels{list-style:none;margin:0;padding:0}
.sidebar-channels li{padding:6px 16px;color:rgba(var(--sidebar-text-rgb),0.72)}
.sidebar-channels li.active{background:rgba(var(--sidebar-text-rgb),0.16);color:var(--sidebar-text-active-color);border-left:4px solid var(--sidebar-text-active-border)}
.center{flex:1;display:flex;flex-direction:column;min-width:0}
.channel-header{display:flex;align-items:center;justify-content:space-between;height:62px;padding:0 20px;border-bottom:1px solid rgba(var(--center-channel-color-rgb),0.12)}
.channel-header h1{font-size:16px;margin:0}
.icon-button{background:none;border:none;border-radius:4px;padding:4px 8px;cursor:pointer;color:rgba(var(--center-channel-color-rgb),0.64)}
.icon-button:hover{background:rgba(var(--center-channel-color-rgb),0.08)}
.post-list{flex:1;overflow:auto;padding:16px 0}
.post{display:flex;gap:12px;padding:8px 20px;position:relative}
.post:hover{background:rgba(var(--center-channel-color-rgb),0.04)}
.avatar{width:36px;height:36px;border-radius:50%;background:rgba(var(--center-channel-color-rgb),0.16);display:flex;align-items:center;justify-content:center;font-weight:600;flex-shrink:0}
.post-body{flex:1;min-width:0;position:relative}
.post-header{display:flex;align-items:center;gap:8px}
.username{background:none;border:none;padding:0;font-weight:600;cursor:pointer}
.post-header time{font-size:12px;color:rgba(var(--center-channel-color-rgb),0.64)}
.post-menu{margin-left:auto;position:relative}
.post-message p{margin:4px 0;line-height:20px;overflow-wrap:anywhere}
.post-message p+p{margin-top:12px}
.post-message code,.attachment__text code{padding:1px 4px;border-radius:4px;background:rgba(var(--center-channel-color-rgb),0.08);font-size:13px}
.bot-tag{padding:0 4px;border-radius:4px;background:rgba(var(--center-channel-color-rgb),0.08);color:rgba(var(--center-channel-color-rgb),0.75);font-size:10px;font-weight:600;line-height:16px}
.post-visibility{font-size:12px;color:rgba(var(--center-channel-color-rgb),0.56)}
.attachment__content{max-width:700px;margin:6px 0;padding:12px 16px;border:1px solid rgba(var(--center-channel-color-rgb),0.16);border-left:4px solid rgba(var(--center-channel-color-rgb),0.24);border-radius:4px}
.attachment__text p{margin:0 0 4px;overflow-wrap:anywhere}
.attachment-actions{display:flex;flex-wrap:wrap;gap:8px}
.attachment__text+.attachment-actions{margin-top:12px}
.post__embed-visibility{border:none;background:none;padding:0 4px;cursor:pointer;font-size:12px;color:rgba(var(--center-channel-color-rgb),0.56)}
.btn{display:inline-flex;align-items:center;justify-content:center;border:none;border-radius:4px;font-weight:600;cursor:pointer;background:rgba(var(--button-bg-rgb),0.08);color:var(--button-bg)}
.btn:hover{background:rgba(var(--button-bg-rgb),0.12)}
.btn:active{background:rgba(var(--button-bg-rgb),0.16)}
.btn-sm{height:32px;padding:0 16px;font-size:12px}
.btn.btn-tinted{background:var(--tint)}
.btn.btn-tinted:hover{background:var(--tint-hover)}
.btn.btn-tinted:active{background:var(--tint-active)}
.menu{position:absolute;right:0;top:28px;z-index:20;list-style:none;margin:0;padding:8px 0;min-width:220px;background:var(--center-channel-bg);border:1px solid rgba(var(--center-channel-color-rgb),0.16);border-radius:4px;box-shadow:0 8px 24px rgba(0,0,0,0.12)}
.menu button{display:block;width:100%;text-align:left;background:none;border:none;padding:6px 16px;cursor:pointer}
.menu button:hover,.menu button:focus{background:rgba(var(--center-channel-color-rgb),0.08)}
.popover{position:absolute;left:0;top:24px;z-index:20;width:280px;padding:16px;background:var(--center-channel-bg);border:1px solid rgba(var(--center-channel-color-rgb),0.16);border-radius:8px;box-shadow:0 8px 24px rgba(0,0,0,0.12)}
.popover-name{font-weight:600;font-size:16px}
.popover-username{color:rgba(var(--center-channel-color-rgb),0.64);margin-bottom:8px}
.link-tooltip{position:fixed;z-index:30;min-width:320px;max-width:420px;background:var(--center-channel-bg);border:1px solid rgba(var(--center-channel-color-rgb),0.16);border-radius:4px;box-shadow:0 8px 24px rgba(0,0,0,0.12)}
.rhs{width:400px;flex-shrink:0;display:flex;flex-direction:column;border-left:1px solid rgba(var(--center-channel-color-rgb),0.12)}
.rhs-header{display:flex;align-items:center;justify-content:space-between;height:62px;padding:0 16px;border-bottom:1px solid rgba(var(--center-channel-color-rgb),0.12)}
.rhs-header h2{font-size:16px;margin:0}
.rhs-body{flex:1;overflow:auto}
.rhs-title{display:flex;align-items:baseline;gap:8px;min-width:0}
.rhs-subtitle{font-size:12px;color:rgba(var(--center-channel-color-rgb),0.64)}
.thread-viewer{padding:8px 0}
.thread-replies-count{display:flex;align-items:center;gap:12px;margin:4px 20px;font-size:12px;color:rgba(var(--center-channel-color-rgb),0.64)}
.thread-replies-count::after{content:"";flex:1;border-top:1px solid rgba(var(--center-channel-color-rgb),0.12)}
.comment-icon{display:inline-flex;align-items:center;gap:4px;font-size:12px;font-weight:600;color:var(--button-bg)}
.post__commented-on{font-size:13px;color:rgba(var(--center-channel-color-rgb),0.64);margin:2px 0}
.post__commented-on-link{background:none;border:none;padding:0;cursor:pointer;color:var(--link-color)}
.post-reaction-list{display:flex;flex-wrap:wrap;gap:4px;margin-top:6px}
.post-reaction{display:inline-flex;align-items:center;gap:4px;height:24px;padding:0 6px;border:1px solid transparent;border-radius:4px;background:rgba(var(--center-channel-color-rgb),0.08);cursor:pointer}
.post-reaction--current-user{background:rgba(var(--button-bg-rgb),0.08);border-color:var(--button-bg)}
.post-reaction__count{font-size:11px;font-weight:600;color:rgba(var(--center-channel-color-rgb),0.64)}
.post-reaction--current-user .post-reaction__count{color:var(--button-bg)}
.emoticon{display:inline-flex;align-items:center;justify-content:center;min-width:16px;height:16px;font-size:11px}
.app-bar{width:48px;flex-shrink:0;display:flex;flex-direction:column;align-items:center;padding-top:12px;border-left:1px solid rgba(var(--center-channel-color-rgb),0.12);background:var(--center-channel-bg)}
.app-bar-item{background:none;border:none;border-radius:4px;padding:6px;cursor:pointer}
.app-bar-item.active{background:rgba(var(--button-bg-rgb),0.08)}
`;

export function hostPage(setup: HostSetup): string {
  // JSON inside <script>: no "</script>" or "<!--" can close it early.
  const data = JSON.stringify(setup).replace(/</g, '\\u003c');
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Mattermost</title>' +
    `<style>${STYLE}</style></head><body><div id="root"></div>` +
    `<script>window.__hostSetup=${data};</script>` +
    `<script src="${HOST_SCRIPT_PATH}"></script><script src="${BUNDLE_PATH}"></script></body></html>`
  );
}
