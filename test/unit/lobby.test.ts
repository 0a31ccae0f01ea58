import { describe, expect, it } from 'vitest';
import {
  ID_REUSE_DELAY_MS,
  Lobby,
  MAX_SEAT_ID,
  normalizeName,
  uniqueName,
} from '../../signaling/lobby.ts';

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
  it('are cleaned (NFKC, spaces collapsed, trimmed, cut); invisible characters refuse the name', () => {
    expect(normalizeName('  Ada \t Lovelace ', 24)).toBe('Ada Lovelace');
    expect(normalizeName('Ｌｏｖｅｌａｃｅ', 24)).toBe('Lovelace');
    for (const hidden of [
      'a\u0000b',
      'a\u200bb',
      'a\u202eb',
      '\u3164',
      'a\u115fb',
      '\u2800',
      'x\u00ad',
    ])
      expect(normalizeName(hidden, 24)).toBeUndefined();
    // Emoji sequences keep their joiner and variation selector.
    expect(normalizeName('👩\u200d🚀 ❤\ufe0f', 24)).toBe('👩\u200d🚀 ❤\ufe0f');
    expect(normalizeName('x'.repeat(40), 10)).toBe('x'.repeat(10));
    expect(normalizeName('😀'.repeat(5), 3)).toBe('😀😀😀');
    expect(normalizeName('   ', 24)).toBeUndefined();
  });

  it('are made unique without regard to case, within the length limit', () => {
    expect(uniqueName('Ann', [], 24)).toBe('Ann');
    expect(uniqueName('Ann', ['ann'], 24)).toBe('Ann 2');
    expect(uniqueName('Ann', ['ann', 'Ann 2'], 24)).toBe('Ann 3');
    expect(uniqueName('abcdef', ['abcdef'], 6)).toBe('abcd 2');
    // "Ann 2" with a Cyrillic А is taken too: the number goes on.
    expect(uniqueName('Ann', ['ann', '\u0410nn 2'], 24)).toBe('Ann 3');
  });

  it('that only look like another player’s are refused (UTS #39 skeletons)', () => {
    const lobby = new Lobby('C', 16);
    lobby.addSeat('Alice', 't', 24);
    lobby.addSeat('Ian', 't', 24);
    for (const lookalike of ['\u0410lice', 'Al\u0456ce', 'lan', '\u0406an'])
      expect(lobby.addSeat(lookalike, 't', 24)).toEqual({ ok: false, error: 'name_confusable' });
    // Equal once normalised (a small roman numeral ⅼ is an l under NFKC): numbered instead.
    const same = lobby.addSeat('A\u217Cice', 't', 24);
    expect(same.ok && same.value.name).toBe('Alice 2');
    expect(lobby.addSeat('Alicia', 't', 24).ok).toBe(true);
  });

  it('ids are given out again once all 65,535 are used, only ID_REUSE_DELAY_MS after their seat went', () => {
    const lobby = new Lobby('C', 4);
    for (let i = 1; i <= MAX_SEAT_ID; i++) {
      const seat = lobby.addSeat(`p${i % 2}`, 't', 24, 0);
      if (!seat.ok) throw new Error(`join ${i}: ${seat.error}`);
      if (seat.value.id !== 1) lobby.removeSeat(seat.value.id, i);
    }
    expect(lobby.addSeat('late', 't', 24, ID_REUSE_DELAY_MS)).toEqual({
      ok: false,
      error: 'ids_exhausted',
    });
    const again = lobby.addSeat('late', 't', 24, ID_REUSE_DELAY_MS + 2);
    expect(again.ok && again.value.id).toBe(2);
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

describe('Lobby: spectator admission (no sockets)', () => {
  const watch = (max: number) => ({ spectator: true as const, max });
  it('a full, locked lobby still admits spectators up to the cap; they are not seats', () => {
    const lobby = new Lobby('C', 2);
    lobby.addSeat('Ada', 't1', 24);
    lobby.addSeat('Bea', 't2', 24);
    lobby.locked = true;
    expect(lobby.addSeat('Cy', 't3', 24)).toEqual({ ok: false, error: 'locked' });
    const wes = lobby.addSeat('Wes', 't4', 24, 0, watch(2));
    expect(wes).toMatchObject({ ok: true, value: { id: 3, spectator: true } });
    expect(lobby.addSeat('Wyn', 't5', 24, 0, watch(2)).ok).toBe(true);
    expect(lobby.addSeat('Wil', 't6', 24, 0, watch(2))).toEqual({
      ok: false,
      error: 'spectators_full',
    });
    expect([lobby.playerCount, lobby.spectatorCount]).toEqual([2, 2]);
    // Names stay unique across players and spectators.
    expect(lobby.addSeat('ada', 't7', 24, 0, watch(3))).toMatchObject({ value: { name: 'ada 2' } });
    lobby.locked = false;
    expect(lobby.addSeat('Cy', 't8', 24)).toEqual({ ok: false, error: 'full' });
  });

  it('no spectators while the host turned watching off, or with a cap of 0', () => {
    const lobby = new Lobby('C', 8);
    lobby.addSeat('Ada', 't1', 24);
    expect(lobby.addSeat('Wes', 't2', 24, 0, watch(0))).toEqual({
      ok: false,
      error: 'no_spectators',
    });
    lobby.spectating = false;
    expect(lobby.addSeat('Wes', 't2', 24, 0, watch(16))).toEqual({
      ok: false,
      error: 'no_spectators',
    });
  });

  it('a spectator never succeeds the host, and is listed after the players', () => {
    const lobby = new Lobby('C', 8);
    lobby.addSeat('Ada', 't1', 24);
    lobby.addSeat('Wes', 't2', 24, 0, watch(16));
    expect(lobby.successor()).toBeUndefined();
    lobby.addSeat('Bea', 't3', 24);
    expect(lobby.successor()?.name).toBe('Bea');
    expect(lobby.view('link', false).players.map((p) => [p.name, p.spectator])).toEqual([
      ['Ada', undefined],
      ['Bea', undefined],
      ['Wes', true],
    ]);
    expect(lobby.spectatorIds()).toEqual([2]);
  });
});
