/**
 * Mattermost's applyTheme, as far as plugins see it: every colour of the
 * theme as a CSS variable on :root (`sidebarTextHoverBg` → `--sidebar-text-hover-bg`),
 * each with an `-rgb` twin ("r, g, b") for translucent uses.
 */
import type { Theme } from 'mattermost-redux/selectors/entities/preferences';

// Mattermost's names where they differ from the plain kebab-case of the theme key.
const RENAMED: Record<string, string> = { errorTextColor: 'error-text' };

export function themeVariables(theme: Theme): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const [key, value] of Object.entries(theme)) {
    if (typeof value !== 'string' || !value.startsWith('#')) continue;
    const name = RENAMED[key] ?? key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
    variables[`--${name}`] = value;
    variables[`--${name}-rgb`] = rgbOf(value);
  }
  variables['--error-text-color-rgb'] = variables['--error-text-rgb'] ?? '';
  return variables;
}

export function applyTheme(theme: Theme, root: HTMLElement = document.documentElement): void {
  for (const [name, value] of Object.entries(themeVariables(theme))) root.style.setProperty(name, value);
  root.style.colorScheme = luminance(theme.centerChannelBg) < 0.5 ? 'dark' : 'light';
}

function channels(hex: string): [number, number, number] {
  const digits = hex.slice(1);
  const full = digits.length === 3 ? [...digits].map((digit) => digit + digit).join('') : digits.slice(0, 6);
  return [0, 2, 4].map((start) => parseInt(full.slice(start, start + 2), 16)) as [number, number, number];
}

function rgbOf(hex: string): string {
  return channels(hex).join(', ');
}

function luminance(hex: string): number {
  const [red, green, blue] = channels(hex);
  return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255;
}
