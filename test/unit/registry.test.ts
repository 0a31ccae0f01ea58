import { describe, expect, it } from 'vitest';
import { settingValue } from '../../web/games/game-module.ts';
import { GameRegistry, games } from '../../web/games/registry.ts';
import { dotsModule } from '../support/dots-module.ts';

describe('game registry', () => {
  it('lists every game of the app, Tag first (the default), each module answering to its rules id', () => {
    expect(games.list.map((g) => g.id)).toEqual(['tag', 'light-cycles']);
    expect(games.first.id).toBe('tag');
    for (const g of games.list) {
      expect(games.get(g.id)).toBe(g);
      expect(games.rules(g.id)?.id).toBe(g.id);
      expect(g.players.min).toBeGreaterThanOrEqual(1);
      expect(g.players.max).toBeGreaterThanOrEqual(g.players.min);
      for (const s of g.settings) {
        expect(s.choices).toContain(s.default);
        for (const c of s.choices) expect(c >= s.min && c <= s.max).toBe(true);
      }
    }
    expect(games.get('light-cycles')?.players).toEqual({ min: 2, max: 16 });
  });

  it('an id this page does not have finds nothing (a guest shows "reload")', () => {
    expect(games.get('dots')).toBeUndefined();
    expect(games.rules('dots')).toBeUndefined();
    expect(games.rules('')).toBeUndefined();
  });

  it("settings: defaults fill the gaps, values out of range fall back, and the host's choice shapes the rules", () => {
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

  it("the engine's test game goes through the same registry; duplicates and mismatched ids are refused", () => {
    const withDots = new GameRegistry([...games.list, dotsModule]);
    expect(withDots.rules('dots')?.id).toBe('dots');
    expect(withDots.first.id).toBe('tag');
    expect(() => new GameRegistry([dotsModule, dotsModule])).toThrow(/two games/);
    expect(() => new GameRegistry([{ ...dotsModule, id: 'spots' }])).toThrow(
      /creates the game dots/,
    );
    expect(() => new GameRegistry([])).toThrow();
  });
});
