import { normalizeLobbyCode } from '../../shared/protocol/lobby-code.ts';

/** The pages of the app: the start page, and a lobby by its share link `/l/<CODE>`. */
export type Route = { readonly page: 'home' } | { readonly page: 'lobby'; readonly code: string };

/** Reads a path; a share link whose code does not parse is still a lobby route (refused later). */
export function parseRoute(pathname: string): Route {
  const match = pathname.match(/^\/l\/([^/]+)\/?$/);
  if (!match?.[1]) return { page: 'home' };
  const raw = decodeURIComponent(match[1]);
  return { page: 'lobby', code: normalizeLobbyCode(raw) ?? raw.toUpperCase().slice(0, 32) };
}

export const pathFor = (route: Route): string => (route.page === 'home' ? '/' : `/l/${route.code}`);

/**
 * Game settings a page address asks for, by setting key (`?round=30`: 30-second rounds, for a
 * short game, a demo or a test; `?speed=20`). Only whole numbers are taken; each game checks its
 * own ranges (`settingValue`), so a value out of range falls back to the default.
 */
export function settingParams(search: string): Record<string, number> {
  const presets: Record<string, number> = {};
  for (const [key, raw] of new URLSearchParams(search)) {
    if (/^[a-z][a-zA-Z]{0,31}$/.test(key) && /^\d{1,6}$/.test(raw)) presets[key] = Number(raw);
  }
  return presets;
}
