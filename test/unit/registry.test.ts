import { describe, expect, it } from 'vitest';
import { settingValue } from '../../web/games/game-module.ts';
import { GameRegistry, games } from '../../web/games/registry.ts';
import { dotsModule } from '../support/dots-module.ts';

describe('game registry', () => {
  it('lists every game of the app by id without loading any, Tag first (the default)', () => {
    const fresh = new GameRegistry(games.loaders);
    // A new game's line goes anywhere after Tag, the default.
    expect(fresh.ids.slice(0, 2)).toEqual(['tag', 'light-cycles']);
    expect(fresh.first).toBe('tag');
    expect(fresh.has('light-cycles')).toBe(true);
    expect(fresh.loaded).toEqual([]);
    expect(fresh.get('tag')).toBeUndefined();
    expect(fresh.rules('tag')).toBeUndefined();
  });

  it('loads each module on demand, once, each answering to its rules id', async () => {
    const fresh = new GameRegistry(games.loaders);
    const [a, b] = await Promise.all([fresh.load('light-cycles'), fresh.load('light-cycles')]);
    expect(a).toBe(b);
    expect(fresh.loaded.map((g) => g.id)).toEqual(['light-cycles']);
    const all = await fresh.loadAll();
    expect(all.map((g) => g.id)).toEqual(fresh.ids);
    for (const g of all) {
      expect(fresh.get(g.id)).toBe(g);
      expect(fresh.rules(g.id)?.id).toBe(g.id);
      expect(g.players.min).toBeGreaterThanOrEqual(1);
      expect(g.players.max).toBeGreaterThanOrEqual(g.players.min);
      for (const s of g.settings) {
        expect(s.choices).toContain(s.default);
        for (const c of s.choices) expect(c >= s.min && c <= s.max).toBe(true);
      }
    }
    expect(fresh.get('light-cycles')?.players).toEqual({ min: 2, max: 16 });
  });

  it('an id this page does not have finds nothing (a guest shows "reload")', async () => {
    expect(games.has('no-such-game')).toBe(false);
    await expect(games.load('no-such-game')).resolves.toBeUndefined();
    expect(games.get('no-such-game')).toBeUndefined();
    expect(games.rules('no-such-game')).toBeUndefined();
    expect(games.find('no-such-game')).toBeUndefined();
    expect(games.rules('')).toBeUndefined();
  });

  it('a chunk that cannot be fetched rejects, and the next load tries again', async () => {
    let calls = 0;
    const flaky = new GameRegistry({
      dots: async () => {
        if (++calls === 1) throw new TypeError('Failed to fetch dynamically imported module');
        return { gameModule: dotsModule };
      },
    });
    await expect(flaky.load('dots')).rejects.toThrow(/Failed to fetch/);
    expect(flaky.get('dots')).toBeUndefined();
    await expect(flaky.load('dots')).resolves.toBe(dotsModule);
    expect(calls).toBe(2);
  });

  it("settings: defaults fill the gaps, values out of range fall back, and the host's choice shapes the rules", async () => {
    await games.loadAll();
    expect(games.settings('tag')).toEqual({ round: 90 });
    expect(games.settings('tag', { round: 30, speed: 20 })).toEqual({ round: 30 });
    expect(games.settings('tag', { round: 9999 })).toEqual({ round: 90 });
    expect(games.settings('light-cycles', { speed: 20 })).toEqual({ speed: 20 });
    const lc = games.get('light-cycles');
    const speed = lc?.settings[0];
    if (!lc || !speed) throw new Error('Light cycles has a speed setting');
    expect(settingValue(speed, { speed: 2.5 })).toBe(15);
    const fast = lc.create({ speed: 20 }).init(1, [1, 2]) as { ticksPerCell: number };
    expect(fast.ticksPerCell).toBe(3);
    const tag = games.get('tag')?.create({ round: 30 }).init(1, [1]) as { roundTicks: number };
    expect(tag.roundTicks).toBe(30 * 60);
  });

  it("the engine's test game goes through the same registry; duplicates and mismatched ids are refused", async () => {
    const withDots = new GameRegistry({
      ...games.loaders,
      dots: async () => ({ gameModule: dotsModule }),
    });
    await withDots.load('dots');
    expect(withDots.rules('dots')?.id).toBe('dots');
    expect(withDots.first).toBe('tag');
    expect(() => GameRegistry.of([dotsModule, dotsModule])).toThrow(/two games/);
    await expect(GameRegistry.of([{ ...dotsModule, id: 'spots' }]).load('spots')).rejects.toThrow(
      /rules are dots/,
    );
    expect(() => new GameRegistry({})).toThrow();
  });
});
