import { normalizeLobbyCode } from '../../shared/protocol/lobby-code.ts';

/**
 * The pages of the app: the start page, a lobby by its share link `/l/<CODE>`, and a share link
 * that cannot even be read (a broken escape like `/l/%`), which says so.
 */
export type Route =
  | { readonly page: 'home' }
  | { readonly page: 'lobby'; readonly code: string }
  | { readonly page: 'invalid' };

/**
 * Reads a path; never throws. A share link whose code does not parse is still a lobby route
 * (refused later, like a lobby that ended); one whose escapes are broken is `invalid`.
 */
export function parseRoute(pathname: string): Route {
  const match = pathname.match(/^\/l\/([^/]+)\/?$/);
  if (!match?.[1]) return { page: 'home' };
  let raw: string;
  try {
    raw = decodeURIComponent(match[1]);
  } catch {
    return { page: 'invalid' };
  }
  return { page: 'lobby', code: normalizeLobbyCode(raw) ?? raw.toUpperCase().slice(0, 32) };
}

export const pathFor = (route: Route): string =>
  route.page === 'lobby' ? `/l/${route.code}` : '/';

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
