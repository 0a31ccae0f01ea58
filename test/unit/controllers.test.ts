import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Subscription } from '../../web/controllers/subscription.ts';
import { WakeAt } from '../../web/controllers/wake-at.ts';

/** A Lit element as far as a controller sees it: it counts the updates asked for. */
function host() {
  const controllers: ReactiveController[] = [];
  const h = {
    updates: 0,
    addController: (c: ReactiveController) => controllers.push(c),
    removeController: () => {},
    requestUpdate: () => {
      h.updates++;
    },
    updateComplete: Promise.resolve(true),
    connect: () => {
      for (const c of controllers) c.hostConnected?.();
    },
    disconnect: () => {
      for (const c of controllers) c.hostDisconnected?.();
    },
  };
  return h as typeof h & ReactiveControllerHost;
}

describe('WakeAt (re-render at a notice’s moment, no polling)', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('asks for one update at the earliest moment asked for, none for moments past', () => {
    const h = host();
    const wake = new WakeAt(h);
    wake.at(Date.now() + 6000);
    wake.at(Date.now() + 4000);
    wake.at(Date.now() - 5);
    vi.advanceTimersByTime(3999);
    expect(h.updates).toBe(0);
    vi.advanceTimersByTime(1);
    expect(h.updates).toBe(1);
    // The 6 s moment was dropped: the render at 4 s asks again if it still matters.
    vi.advanceTimersByTime(10_000);
    expect(h.updates).toBe(1);
  });

  it('a countdown re-renders as each whole second goes', () => {
    const h = host();
    const wake = new WakeAt(h);
    const deadline = Date.now() + 2500;
    const shown: number[] = [];
    const render = () => {
      shown.push(Math.ceil((deadline - Date.now()) / 1000));
      wake.nextSecond(deadline);
    };
    render();
    for (let i = 0; i < 5; i++) {
      const before = h.updates;
      vi.advanceTimersToNextTimer();
      if (h.updates > before) render();
    }
    expect(shown).toEqual([3, 2, 1, 0]);
  });

  it('stops when its element leaves the page', () => {
    const h = host();
    const wake = new WakeAt(h);
    wake.at(Date.now() + 1000);
    h.disconnect();
    vi.advanceTimersByTime(5000);
    expect(h.updates).toBe(0);
  });
});

describe('Subscription (a listener that lives while its element is in the page)', () => {
  /** A source that counts its listeners. */
  const source = () => {
    const s = {
      listeners: 0,
      on: () => {
        s.listeners++;
        return () => {
          s.listeners--;
        };
      },
    };
    return s;
  };

  it('listens to the source it follows only while connected, and to one source at a time', () => {
    const h = host();
    const following = new Subscription<ReturnType<typeof source>>(h, (s) => s.on());
    const a = source();
    const b = source();
    following.follow(a);
    expect(a.listeners, 'not yet in the page').toBe(0);
    h.connect();
    expect(a.listeners).toBe(1);
    following.follow(b);
    expect([a.listeners, b.listeners]).toEqual([0, 1]);
    h.disconnect();
    expect(b.listeners).toBe(0);
    h.connect();
    expect(b.listeners).toBe(1);
    following.follow(undefined);
    expect([a.listeners, b.listeners]).toEqual([0, 0]);
  });
});
