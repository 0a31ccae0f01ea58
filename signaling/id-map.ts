/**
 * A map from seat ids to values, for the seats and members of one lobby: ids and values side by
 * side in one array, looked up by a linear scan. A lobby holds a few seats (at most its capacity
 * plus its spectators), and every open lobby keeps two of these, so size wins over hashing: a
 * `Map` costs ~190 B with one entry, this ~90 B (memory per idle lobby). The array is replaced,
 * never grown in place, because growing it would reserve room for ~16 more entries.
 */
export class IdMap<V> {
  /** `[id, value, id, value, …]`, in insertion order. */
  private slots: readonly (number | V)[] = [];

  get size(): number {
    return this.slots.length / 2;
  }

  get(id: number): V | undefined {
    const i = this.indexOf(id);
    return i < 0 ? undefined : (this.slots[i + 1] as V);
  }

  has(id: number): boolean {
    return this.indexOf(id) >= 0;
  }

  set(id: number, value: V): this {
    const i = this.indexOf(id);
    if (i < 0) {
      this.slots = this.slots.concat([id, value]);
    } else {
      const slots = this.slots.slice();
      slots[i + 1] = value;
      this.slots = slots;
    }
    return this;
  }

  /** Whether `id` was there. */
  delete(id: number): boolean {
    const i = this.indexOf(id);
    if (i < 0) return false;
    this.slots = this.slots.slice(0, i).concat(this.slots.slice(i + 2));
    return true;
  }

  /**
   * The values, as a new array: changes to the map do not affect it (as copying a Map's values
   * would), and the housekeeping tick, which reads every lobby's seats, makes no iterator.
   */
  values(): V[] {
    const slots = this.slots;
    const values: V[] = [];
    for (let i = 1; i < slots.length; i += 2) values.push(slots[i] as V);
    return values;
  }

  /** `[id, value]` pairs, as a snapshot (see `values`). */
  *[Symbol.iterator](): IterableIterator<[number, V]> {
    const slots = this.slots;
    for (let i = 0; i < slots.length; i += 2) yield [slots[i] as number, slots[i + 1] as V];
  }

  private indexOf(id: number): number {
    const slots = this.slots;
    for (let i = 0; i < slots.length; i += 2) if (slots[i] === id) return i;
    return -1;
  }
}
