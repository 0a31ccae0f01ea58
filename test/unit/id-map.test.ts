import { describe, expect, it } from 'vitest';
import { IdMap } from '../../signaling/id-map.ts';

describe('IdMap', () => {
  it('behaves as a Map of ids, in insertion order', () => {
    const map = new IdMap<string>();
    const ref = new Map<number, string>();
    for (const [op, id, value] of [
      ['set', 1, 'a'],
      ['set', 3, 'c'],
      ['set', 2, 'b'],
      ['set', 3, 'C'],
      ['delete', 1, ''],
      ['delete', 9, ''],
      ['set', 1, 'A'],
    ] as const) {
      if (op === 'set') {
        map.set(id, value);
        ref.set(id, value);
      } else {
        expect(map.delete(id)).toBe(ref.delete(id));
      }
      expect(map.values()).toEqual([...ref.values()]);
      expect(map.size).toBe(ref.size);
      for (const wanted of ['a', 'A', 'b', 'c', 'C'])
        expect(map.some((v) => v === wanted)).toBe([...ref.values()].includes(wanted));
      for (const probe of [1, 2, 3, 9]) {
        expect(map.get(probe)).toBe(ref.get(probe));
        expect(map.has(probe)).toBe(ref.has(probe));
      }
    }
  });

  it('matches a Map over random changes, with the first entry in fields and the rest in an array', () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const map = new IdMap<number>();
    const ref = new Map<number, number>();
    for (let step = 0; step < 5000; step++) {
      const id = 1 + random(6);
      if (random(3) === 0) expect(map.delete(id)).toBe(ref.delete(id));
      else {
        map.set(id, step);
        ref.set(id, step);
      }
      expect(map.values()).toEqual([...ref.values()]);
      expect(map.size).toBe(ref.size);
      for (let probe = 1; probe <= 6; probe++) {
        expect(map.get(probe)).toBe(ref.get(probe));
        expect(map.has(probe)).toBe(ref.has(probe));
      }
    }
  });

  it('refuses ids that are not positive integers (0 marks the empty first entry)', () => {
    const map = new IdMap<string>();
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => map.set(bad, 'x')).toThrow(RangeError);
    expect(map.has(0)).toBe(false);
    expect(map.get(0)).toBeUndefined();
    expect(map.delete(0)).toBe(false);
    expect(map.size).toBe(0);
  });

  it('values are a snapshot: entries removed meanwhile are still visited once', () => {
    const map = new IdMap<number>();
    for (const id of [1, 2, 3]) map.set(id, id * 10);
    const seen: number[] = [];
    for (const value of map.values()) {
      map.delete(value / 10);
      map.set(value / 10 + 100, value);
      seen.push(value);
    }
    expect(seen).toEqual([10, 20, 30]);
    expect([...map.values()]).toEqual([10, 20, 30]);
  });
});
