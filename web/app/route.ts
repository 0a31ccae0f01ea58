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

/** Shortest and longest round a `?round=<seconds>` link may ask for. */
export const ROUND_SECONDS_RANGE = { min: 5, max: 600 } as const;

/**
 * The round length a page address asks for (`?round=30`: quick rounds, for a short game or a
 * demo), or undefined for the game's default. Out-of-range or malformed values are ignored.
 */
export function roundSecondsParam(search: string): number | undefined {
  const raw = new URLSearchParams(search).get('round');
  if (raw === null || !/^\d{1,4}$/.test(raw)) return undefined;
  const seconds = Number(raw);
  return seconds >= ROUND_SECONDS_RANGE.min && seconds <= ROUND_SECONDS_RANGE.max
    ? seconds
    : undefined;
}
