import type { Clock } from '../../web/net/session.ts';
import type { Timers } from '../../web/net/signaling-client.ts';

/** Time that moves only when a test says so; intervals and delayed deliveries run in order. */
export class FakeClock implements Clock, Timers {
  private t = 0;
  private nextId = 1;
  private readonly intervals = new Map<number, { fn: () => void; every: number; due: number }>();
  private queue: { id: number; at: number; fn: () => void }[] = [];

  now(): number {
    return this.t;
  }
  setInterval(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.intervals.set(id, { fn, every: ms, due: this.t + ms });
    return id;
  }
  clearInterval(handle: unknown): void {
    this.intervals.delete(handle as number);
  }
  /** Runs `fn` after `ms` of fake time. */
  later(fn: () => void, ms: number): void {
    this.setTimeout(fn, ms);
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.queue.push({ id, at: this.t + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.queue = this.queue.filter((q) => q.id !== handle);
  }
  /** Moves time forward in 1 ms steps, running whatever falls due. */
  advance(ms: number): void {
    for (const end = this.t + ms; this.t < end; ) {
      this.t++;
      const due = this.queue.filter((q) => q.at <= this.t);
      if (due.length > 0) {
        this.queue = this.queue.filter((q) => q.at > this.t);
        for (const q of due) q.fn();
      }
      for (const iv of [...this.intervals.values()]) {
        if (iv.due <= this.t) {
          iv.due += iv.every;
          iv.fn();
        }
      }
    }
  }
}
