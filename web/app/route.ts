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
