/**
 * A map from ids (positive integers) to values, for the seats of one lobby, looked up by a
 * linear scan. A lobby holds a few seats (at most its capacity plus its spectators) and most
 * lobbies hold one, and every open lobby keeps one of these, so size wins over hashing: the
 * first entry lives in two fields of the map itself, and only further entries take an array. A
 * `Map` costs ~190 B with one entry, an array of pairs ~96 B, this 48 B (memory per idle lobby).
 */
export class IdMap<V> {
  /** The first entry's id; 0 while the map is empty. */
  private firstId = 0;
  private firstValue: V | undefined = undefined;
  /**
   * Entries after the first, `[id, value, id, value, …]` in insertion order; replaced, never
   * changed in place: growing an array in place reserves room for ~16 more entries.
   */
  private rest: readonly (number | V)[] | undefined = undefined;

  get size(): number {
    return this.firstId === 0 ? 0 : 1 + (this.rest === undefined ? 0 : this.rest.length / 2);
  }

  get(id: number): V | undefined {
    if (id === this.firstId) return id === 0 ? undefined : this.firstValue;
    const i = this.restIndexOf(id);
    return i < 0 ? undefined : (this.rest?.[i + 1] as V);
  }

  has(id: number): boolean {
    return id !== 0 && (id === this.firstId || this.restIndexOf(id) >= 0);
  }

  set(id: number, value: V): this {
    if (!(Number.isInteger(id) && id > 0)) throw new RangeError(`IdMap ids are positive: ${id}`);
    if (this.firstId === 0 || id === this.firstId) {
      this.firstId = id;
      this.firstValue = value;
      return this;
    }
    const rest = this.rest ?? [];
    const i = this.restIndexOf(id);
    if (i < 0) {
      this.rest = rest.concat([id, value]);
    } else {
      const copy = rest.slice();
      copy[i + 1] = value;
      this.rest = copy;
    }
    return this;
  }

  /** Whether `id` was there. */
  delete(id: number): boolean {
    if (id === 0) return false;
    const rest = this.rest;
    if (id === this.firstId) {
      // The next entry moves up into the fields.
      if (rest === undefined) {
        this.firstId = 0;
        this.firstValue = undefined;
      } else {
        this.firstId = rest[0] as number;
        this.firstValue = rest[1] as V;
        this.rest = rest.length > 2 ? rest.slice(2) : undefined;
      }
      return true;
    }
    const i = this.restIndexOf(id);
    if (i < 0 || rest === undefined) return false;
    this.rest = rest.length > 2 ? rest.slice(0, i).concat(rest.slice(i + 2)) : undefined;
    return true;
  }

  /**
   * The values, as a new array: changes to the map do not affect it (as copying a Map's values
   * would), and the housekeeping tick, which reads every lobby's seats, makes no iterator.
   */
  values(): V[] {
    if (this.firstId === 0) return [];
    const values: V[] = [this.firstValue as V];
    const rest = this.rest;
    if (rest !== undefined) for (let i = 1; i < rest.length; i += 2) values.push(rest[i] as V);
    return values;
  }

  /** Whether any value passes `test`, without a copy: the housekeeping tick asks every lobby. */
  some(test: (value: V) => boolean): boolean {
    if (this.firstId === 0) return false;
    if (test(this.firstValue as V)) return true;
    const rest = this.rest;
    if (rest !== undefined)
      for (let i = 1; i < rest.length; i += 2) if (test(rest[i] as V)) return true;
    return false;
  }

  private restIndexOf(id: number): number {
    const rest = this.rest;
    if (rest === undefined) return -1;
    for (let i = 0; i < rest.length; i += 2) if (rest[i] === id) return i;
    return -1;
  }
}
