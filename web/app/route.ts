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
