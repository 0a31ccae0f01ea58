import { describe, expect, it } from 'vitest';
import { parseRoute, pathFor, settingParams } from '../../web/app/route.ts';
import { settingValue } from '../../web/games/game-module.ts';
import { games } from '../../web/games/registry.ts';

describe('page addresses', () => {
  it('/ is the start page; /l/<code> a lobby, its code normalised', () => {
    expect(parseRoute('/')).toEqual({ page: 'home' });
    expect(parseRoute('/nowhere')).toEqual({ page: 'home' });
    expect(parseRoute('/l/abcd-efgh-jkmnp')).toEqual({ page: 'lobby', code: 'ABCDEFGHJKMNP' });
    expect(parseRoute('/l/abcd%20efgh%20jkmnp/')).toEqual({ page: 'lobby', code: 'ABCDEFGHJKMNP' });
    // A code that does not parse is still a lobby route: the server refuses it ("not found").
    expect(parseRoute('/l/not-a-code')).toEqual({ page: 'lobby', code: 'NOT-A-CODE' });
    expect(pathFor({ page: 'lobby', code: 'ABCDEFGHJKMNP' })).toBe('/l/ABCDEFGHJKMNP');
    expect(pathFor({ page: 'home' })).toBe('/');
  });

  it('a share link with broken escapes never throws: it is the "link not valid" page', () => {
    for (const path of ['/l/%', '/l/%E0%A4%A', '/l/abc%zz', '/l/%ff'])
      expect(parseRoute(path), path).toEqual({ page: 'invalid' });
    expect(pathFor({ page: 'invalid' })).toBe('/');
  });

  it('?<setting>=<value> presets a game setting; each game keeps its own range (Tag: 5–600 s rounds)', async () => {
    expect(settingParams('')).toEqual({});
    expect(settingParams('?round=5&relay=1&speed=20&x=1e3&y=-5&z=')).toEqual({
      round: 5,
      relay: 1,
      speed: 20,
    });
    const round = (await games.load('tag'))?.settings.find((s) => s.key === 'round');
    if (!round) throw new Error('Tag has a round setting');
    expect(settingValue(round, settingParams('?round=5'))).toBe(5);
    expect(settingValue(round, settingParams('?round=600'))).toBe(600);
    for (const bad of ['?round=4', '?round=601', '?round=1e3', '?round=-5', '?round=', '?round=x'])
      expect(settingValue(round, settingParams(bad)), bad).toBe(90);
  });
});
