/**
 * The plugin's stylesheet, added once to the page. Chrome colours come only from Mattermost's theme
 * variables, so light and dark themes both look native; GitLab label colours come from the data.
 */
const fg = 'var(--center-channel-color)';
const muted = 'rgba(var(--center-channel-color-rgb),0.64)';
const line = 'rgba(var(--center-channel-color-rgb),0.12)';
const hover = 'rgba(var(--center-channel-color-rgb),0.08)';

export const CSS = `
.glb-rhs{display:flex;flex-direction:column;height:100%;color:${fg};background:var(--center-channel-bg);font-size:14px}
.glb-tabs{display:flex;flex-wrap:wrap;gap:2px;padding:8px 12px 0;border-bottom:1px solid ${line}}
.glb-tab{background:none;border:0;border-bottom:2px solid transparent;padding:6px 8px;color:${muted};font:inherit;font-weight:600;cursor:pointer}
.glb-tab[aria-selected=true]{color:var(--button-bg);border-bottom-color:var(--button-bg)}
.glb-tab:focus-visible,.glb-btn:focus-visible,.glb-counter:focus-visible,.glb-link:focus-visible{outline:2px solid var(--button-bg);outline-offset:1px}
.glb-tabpanel{flex:1;overflow:auto;padding:8px 12px;min-height:200px}
.glb-list{list-style:none;margin:0;padding:0}
.glb-item{padding:10px 4px;border-bottom:1px solid ${line};min-height:48px}
.glb-item-title{font-weight:600;color:var(--link-color);text-decoration:none}
.glb-meta{display:flex;flex-wrap:wrap;gap:6px;align-items:center;margin-top:4px;color:${muted};font-size:12px}
.glb-label{display:inline-block;border-radius:10px;padding:0 8px;font-size:11px;line-height:18px;border:1px solid ${line}}
.glb-badge{display:inline-block;border-radius:4px;padding:0 6px;font-size:11px;line-height:18px;background:${hover};color:${fg}}
.glb-badge-bad{background:rgba(var(--error-text-color-rgb),0.12);color:var(--error-text)}
.glb-badge-good{color:var(--online-indicator)}
.glb-badge-busy{color:var(--away-indicator)}
.glb-btn{font:inherit;font-weight:600;font-size:12px;border-radius:4px;padding:6px 12px;cursor:pointer;border:1px solid var(--button-bg);background:var(--center-channel-bg);color:var(--button-bg)}
.glb-btn-primary{background:var(--button-bg);color:var(--button-color)}
.glb-btn-danger{border-color:var(--error-text);color:var(--error-text);background:var(--center-channel-bg)}
.glb-btn:disabled{opacity:.5;cursor:default}
.glb-btn-icon{border:0;background:none;padding:4px 6px;color:${muted}}
.glb-alert{margin:8px 12px;padding:10px 12px;border-radius:4px;border:1px solid var(--error-text);color:${fg};background:var(--center-channel-bg)}
.glb-alert code{font-size:12px}
.glb-muted{color:${muted}}
.glb-hint{color:${muted};font-size:12px}
.glb-link{color:var(--link-color)}
.glb-tiny{font-size:10px;opacity:.72}
.glb-empty{padding:24px 4px;color:${muted};text-align:center}
.glb-skeleton{height:48px;border-bottom:1px solid ${line};background:linear-gradient(90deg,${hover},transparent)}
.glb-sidebar{display:flex;gap:4px;padding:4px 12px 8px;min-height:32px;align-items:center;flex-wrap:wrap}
.glb-counter{display:inline-flex;gap:4px;align-items:center;border:0;border-radius:4px;padding:2px 6px;font:inherit;font-size:12px;font-weight:600;cursor:pointer;background:rgba(var(--sidebar-text-rgb),0.08);color:var(--sidebar-text)}
.glb-counter-zero{opacity:.64}
.glb-sidebar-compact{flex-direction:column;padding:4px}
.glb-connect{border:0;border-radius:4px;padding:4px 10px;font:inherit;font-size:12px;font-weight:600;cursor:pointer;background:var(--button-bg);color:var(--button-color)}
.glb-accounts{list-style:none;margin:0;padding:4px 12px;display:flex;flex-wrap:wrap;gap:4px 12px;font-size:12px}
.glb-connect-small{padding:2px 8px;font-size:11px}
.glb-form{display:flex;flex-direction:column;gap:10px;padding:8px 0}
.glb-field{display:flex;flex-direction:column;gap:4px}
.glb-field>label,.glb-legend{font-weight:600;font-size:12px}
.glb-input{font:inherit;padding:6px 8px;border-radius:4px;border:1px solid rgba(var(--center-channel-color-rgb),0.24);background:var(--center-channel-bg);color:${fg}}
.glb-input:focus{outline:none;border-color:var(--button-bg);box-shadow:0 0 0 1px var(--button-bg)}
.glb-fieldset{border:0;padding:0;margin:0;display:flex;flex-wrap:wrap;gap:4px 12px}
.glb-fieldset>legend{padding:0;margin-bottom:4px}
.glb-check{display:inline-flex;gap:4px;align-items:center;font-size:13px}
.glb-combo{position:relative}
.glb-options{position:absolute;z-index:10;top:100%;left:0;right:0;max-height:200px;overflow:auto;margin:2px 0 0;padding:4px 0;list-style:none;border-radius:4px;border:1px solid ${line};background:var(--center-channel-bg);box-shadow:var(--elevation-2)}
.glb-option{padding:6px 10px;cursor:pointer}
.glb-option[aria-selected=true]{background:${hover}}
.glb-chips{display:flex;flex-wrap:wrap;gap:4px}
.glb-actions{display:flex;gap:8px;justify-content:flex-end}
.glb-backdrop{/* Mattermost's own modal backdrop is black in every theme */position:fixed;inset:0;z-index:1050;display:flex;align-items:flex-start;justify-content:center;padding-top:10vh;background:rgba(0,0,0,.5)}
.glb-dialog{width:min(560px,92vw);max-height:80vh;overflow:auto;border-radius:8px;padding:20px 24px;color:${fg};background:var(--center-channel-bg);box-shadow:var(--elevation-6)}
.glb-dialog h2{margin:0 0 12px;font-size:20px}
.glb-error{color:var(--error-text);font-size:12px}
.glb-heading{margin:8px 0 2px;font-size:14px;font-weight:600}
.glb-explain-bar{display:flex;justify-content:space-between;align-items:center;gap:8px}
.glb-explain-alert{margin:8px 0;padding:8px 10px;border-radius:4px;border:1px solid var(--error-text)}
.glb-explain-nothing{margin:0}
.glb-explain-hook{margin:8px 0}
.glb-explain-alert .glb-explain-hook{margin:8px 0 0}
.glb-fix{display:flex;flex-direction:column;gap:4px;margin-top:6px}
.glb-fix-label{font-weight:600;font-size:12px}
.glb-code{display:block;white-space:pre-wrap;overflow-wrap:anywhere;font-family:monospace;font-size:12px;padding:6px 8px;border-radius:4px;background:${hover};color:${fg}}
.glb-outcomes{list-style:none;margin:2px 0 0;padding:0}
.glb-outcomes>li+li{margin-top:6px}
.glb-outcome-channel{font-weight:600;color:${fg}}
.glb-badge-rule{background:none;border:1px solid ${line};color:${muted}}
.glb-hidden-event{font-style:italic}
.glb-plain{color:${fg}}
.glb-tooltip{max-width:360px;padding:10px 12px;color:${fg};background:var(--center-channel-bg);font-size:13px}
.glb-tooltip-title{font-weight:600;margin:4px 0}
`;

/** Adds the stylesheet once; later calls do nothing. */
export function addStyles(doc: Document = document): void {
  if (doc.getElementById('gitlab-bridge-styles')) return;
  const style = doc.createElement('style');
  style.id = 'gitlab-bridge-styles';
  style.textContent = CSS;
  doc.head.appendChild(style);
}
