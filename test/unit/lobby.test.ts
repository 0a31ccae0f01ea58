import { describe, expect, it } from 'vitest';
import { Lobby, normalizeName, uniqueName } from '../../signaling/lobby.ts';

describe('Lobby (no sockets)', () => {
  it('seats players with increasing ids up to capacity, then refuses', () => {
    const lobby = new Lobby('C', 3);
    const ids = ['a', 'b', 'c'].map((n) => {
      const r = lobby.addSeat(n, `t-${n}`, 24);
      if (!r.ok) throw new Error(r.error);
      return r.value.id;
    });
    expect(ids).toEqual([1, 2, 3]);
    expect(lobby.addSeat('d', 't-d', 24)).toEqual({ ok: false, error: 'full' });
  });

  it('refuses new seats while locked, and an empty name', () => {
    const lobby = new Lobby('C', 8);
    lobby.locked = true;
    expect(lobby.addSeat('a', 't', 24)).toEqual({ ok: false, error: 'locked' });
    lobby.locked = false;
    expect(lobby.addSeat('\u200b \n', 't', 24)).toEqual({ ok: false, error: 'name_invalid' });
  });

  it('never reuses an id after a seat is removed', () => {
    const lobby = new Lobby('C', 8);
    lobby.addSeat('a', 'ta', 24);
    lobby.seats.delete(1);
    const r = lobby.addSeat('b', 'tb', 24);
    expect(r.ok && r.value.id).toBe(2);
  });

  it('finds seats by token tag and reports expired ones after the grace period', () => {
    const lobby = new Lobby('C', 8);
    lobby.addSeat('a', 'ta', 24);
    lobby.addSeat('b', 'tb', 24);
    const b = lobby.seatByTag('tb');
    expect(b?.name).toBe('b');
    if (!b) return;
    b.connected = false;
    b.droppedAt = 1000;
    expect(lobby.expiredSeats(30_999, 30_000)).toEqual([]);
    expect(lobby.expiredSeats(31_000, 30_000).map((s) => s.id)).toEqual([2]);
  });

  it('restores seats a host remembers, disconnected, and continues ids after them', () => {
    const lobby = new Lobby('C', 8, 4);
    expect(lobby.restoreSeat(4, 'host', 'th', 24, 0)?.connected).toBe(false);
    expect(lobby.restoreSeat(7, 'g', 'tg', 24, 0)?.id).toBe(7);
    expect(lobby.restoreSeat(7, 'dup', 'tx', 24, 0)).toBeUndefined();
    const next = lobby.addSeat('new', 'tn', 24);
    expect(next.ok && next.value.id).toBe(8);
  });

  it('shows token tags only in the host view', () => {
    const lobby = new Lobby('C', 8);
    lobby.addSeat('a', 'ta', 24);
    expect(lobby.view('L', true).players[0]?.tag).toBe('ta');
    expect(lobby.view('L', false).players[0]).toEqual({ id: 1, name: 'a', connected: true });
  });
});

describe('names', () => {
  it('are cleaned: control and invisible characters removed, spaces collapsed, trimmed, cut', () => {
    expect(normalizeName('  Ada \t Lovelace ', 24)).toBe('Ada Lovelace');
    expect(normalizeName('a\u0000b\u200bc\u202ed', 24)).toBe('abcd');
    expect(normalizeName('x'.repeat(40), 10)).toBe('x'.repeat(10));
    expect(normalizeName('😀'.repeat(5), 3)).toBe('😀😀😀');
    expect(normalizeName('   ', 24)).toBeUndefined();
  });

  it('are made unique without regard to case, within the length limit', () => {
    expect(uniqueName('Ann', new Set(), 24)).toBe('Ann');
    expect(uniqueName('Ann', new Set(['ann']), 24)).toBe('Ann 2');
    expect(uniqueName('Ann', new Set(['ann', 'ann 2']), 24)).toBe('Ann 3');
    expect(uniqueName('abcdef', new Set(['abcdef']), 6)).toBe('abcd 2');
  });

  it('picks the successor of a departing host: best reported link, then longest seated, connected only', () => {
    const lobby = new Lobby('C', 8);
    const seats = ['host', 'a', 'b', 'c', 'd'].map((n) => {
      const r = lobby.addSeat(n, `t-${n}`, 24);
      if (!r.ok) throw new Error(r.error);
      return r.value;
    });
    const [host, a, b, c, d] = seats;
    if (!host || !a || !b || !c || !d) throw new Error('seats');
    lobby.hostId = host.id;
    // Nothing reported: the longest seated (lowest id) guest.
    expect(lobby.successor()?.id).toBe(a.id);
    a.link = 'relay';
    b.link = 'turn';
    expect(lobby.successor()?.id).toBe(b.id);
    d.link = 'direct';
    c.link = 'direct';
    expect(lobby.successor()?.id).toBe(c.id);
    c.connected = false;
    expect(lobby.successor()?.id).toBe(d.id);
    for (const s of [a, b, d]) s.connected = false;
    expect(lobby.successor()).toBeUndefined();
  });
});
