/**
 * The Mattermost settings the bridge depends on, judged from the admin config:
 * one verdict per setting, each problem with the exact change that fixes it.
 */
import { BlockList, isIP } from 'node:net';

export interface SettingVerdict {
  setting: string;
  ok: boolean;
  /** What is wrong, when not ok. */
  problem?: string;
  /** The command (mmctl) or System Console change that fixes it. */
  fix?: string;
}

export interface ServiceSettings {
  SiteURL?: string;
  EnableCommands?: boolean;
  EnableBotAccountCreation?: boolean;
  EnableUserAccessTokens?: boolean;
  AllowedUntrustedInternalConnections?: string;
}

const mmctl = (setting: string, value: string): string => `mmctl config set ServiceSettings.${setting} ${value}`;

export function checkSettings(settings: ServiceSettings, internalUrl: string): SettingVerdict[] {
  const verdicts: SettingVerdict[] = [];
  const flag = (setting: keyof ServiceSettings, why: string, consolePath: string) => {
    const ok = settings[setting] === true;
    verdicts.push(
      ok ? { setting, ok } : { setting, ok, problem: `${setting} is off: ${why}`, fix: `${mmctl(setting, 'true')} (System Console > ${consolePath})` },
    );
  };
  flag('EnableCommands', 'the /gitlab command cannot run', 'Integrations > Integration Management > Enable Custom Slash Commands');
  flag('EnableBotAccountCreation', 'the gitlab bot cannot be created', 'Integrations > Bot Accounts > Enable Bot Account Creation');
  flag('EnableUserAccessTokens', 'the bot cannot get an access token', 'Integrations > Integration Management > Enable Personal Access Tokens');

  const siteUrl = settings.SiteURL?.trim();
  verdicts.push(
    siteUrl
      ? { setting: 'SiteURL', ok: true }
      : {
          setting: 'SiteURL',
          ok: false,
          problem: 'SiteURL is not set: links in posts, DMs and the GitLab connect flow need it',
          fix: `${mmctl('SiteURL', 'https://mattermost.example.com')} (your Mattermost's public URL)`,
        },
  );

  const host = new URL(internalUrl).hostname.replace(/^\[|\]$/g, '');
  const allowed = (settings.AllowedUntrustedInternalConnections ?? '').split(/[\s,]+/).filter(Boolean);
  if (!needsAllowing(host) || isAllowed(host, allowed)) {
    verdicts.push({ setting: 'AllowedUntrustedInternalConnections', ok: true });
  } else {
    verdicts.push({
      setting: 'AllowedUntrustedInternalConnections',
      ok: false,
      problem: `Mattermost refuses to call ${host} (INTERNAL_URL) for slash commands until it is listed`,
      fix: `${mmctl('AllowedUntrustedInternalConnections', `"${[...allowed, host].join(' ')}"`)} (System Console > Environment > Developer)`,
    });
  }
  return verdicts;
}

/** Mattermost lets integrations reach public addresses freely; names may resolve to anything, so they are listed too. */
function needsAllowing(host: string): boolean {
  if (!isIP(host)) return true;
  const internal = new BlockList();
  for (const [network, prefix] of [['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16], ['127.0.0.0', 8], ['169.254.0.0', 16], ['100.64.0.0', 10]] as const) {
    internal.addSubnet(network, prefix, 'ipv4');
  }
  for (const [network, prefix] of [['::1', 128], ['fc00::', 7], ['fe80::', 10]] as const) internal.addSubnet(network, prefix, 'ipv6');
  return internal.check(host, isIP(host) === 6 ? 'ipv6' : 'ipv4');
}

function isAllowed(host: string, allowed: string[]): boolean {
  const lower = host.toLowerCase();
  return allowed.some((entry) => {
    if (entry.toLowerCase() === lower) return true;
    const [network, prefix] = entry.split('/');
    if (!prefix || !isIP(network ?? '') || !isIP(host) || isIP(network!) !== isIP(host)) return false;
    const list = new BlockList();
    const family = isIP(host) === 6 ? 'ipv6' : 'ipv4';
    try {
      list.addSubnet(network!, Number(prefix), family);
    } catch {
      return false;
    }
    return list.check(host, family);
  });
}
