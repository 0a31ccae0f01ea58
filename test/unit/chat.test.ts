import { describe, expect, it } from 'vitest';
import {
  CHAT_FRAME,
  CHAT_LIMITS,
  cleanChatText,
  decodeFromHost,
  decodeSay,
  encodeFromHost,
  encodeHistory,
  encodeSay,
} from '../../web/chat/chat-frames.ts';
import { CHAT_RATE, ChatRoom } from '../../web/chat/chat-room.ts';
import { FakeClock } from '../support/fake-clock.ts';

const frame = (body: string) => new Uint8Array([CHAT_FRAME, ...new TextEncoder().encode(body)]);

describe('chat validation', () => {
  it('cleans text: control characters become spaces, bidi overrides go, ends trimmed', () => {
    expect(cleanChatText('  hi\tthere\n ')).toEqual({
      ok: true,
      value: 'hi\tthere'.replace('\t', ' '),
    });
    expect(cleanChatText('\u202eevil')).toEqual({ ok: true, value: 'evil' });
    expect(cleanChatText('<b>bold</b>')).toEqual({ ok: true, value: '<b>bold</b>' });
    expect(cleanChatText(' \n\u0000 ')).toEqual({ ok: false, error: 'empty' });
  });

  it('refuses over 200 characters (code points, so emoji count once)', () => {
    expect(cleanChatText('😀'.repeat(CHAT_LIMITS.TEXT_CHARS)).ok).toBe(true);
    expect(cleanChatText('x'.repeat(CHAT_LIMITS.TEXT_CHARS + 1))).toEqual({
      ok: false,
      error: 'too_long',
    });
  });

  it('decodes only well-formed frames, never throwing', () => {
    expect(decodeSay(encodeSay('hello'))).toEqual({ ok: true, value: 'hello' });
    const bad = [
      new Uint8Array([]),
      new Uint8Array([CHAT_FRAME]),
      new Uint8Array([1, 2, 3]),
      frame('not json'),
      frame('{"type":"say","text":7}'),
      frame('{"type":"say"}'),
      frame('[]'),
      frame('null'),
      new Uint8Array([CHAT_FRAME, 0xff, 0xfe]),
      frame(`{"type":"say","text":"${'x'.repeat(CHAT_LIMITS.FRAME_BYTES)}"}`),
    ];
    for (const bytes of bad) expect(decodeSay(bytes)).toEqual({ ok: false, error: 'malformed' });
    expect(decodeFromHost(frame('{"type":"line","line":{"seq":-1,"text":"x"}}')).ok).toBe(false);
    expect(decodeFromHost(frame('{"type":"refused","reason":"nope"}')).ok).toBe(false);
    // The host's list of muted players: seat ids, at most MUTED_IDS of them.
    const mutes = decodeFromHost(encodeFromHost({ type: 'muted', ids: [2, 3] }));
    expect(mutes).toEqual({ ok: true, value: { type: 'muted', ids: [2, 3] } });
    for (const ids of [
      '[0]',
      '[65536]',
      '["2"]',
      '[1.5]',
      '2',
      JSON.stringify(Array(CHAT_LIMITS.MUTED_IDS + 1).fill(2)),
    ]) {
      expect(decodeFromHost(frame(`{"type":"muted","ids":${ids}}`)).ok, ids).toBe(false);
    }
  });

  it('history of 100 long lines splits into frames a session can carry, and decodes whole', () => {
    const lines = Array.from({ length: 100 }, (_, seq) => ({
      seq,
      from: 2,
      name: 'Bea',
      text: '😀'.repeat(200),
    }));
    const frames = encodeHistory(lines);
    expect(frames.length).toBeGreaterThan(1);
    const back = [];
    for (const [i, f] of frames.entries()) {
      expect(f.length).toBeLessThan(CHAT_LIMITS.FRAME_BYTES);
      const msg = decodeFromHost(f);
      if (!msg.ok || msg.value.type !== 'history') throw new Error('bad history frame');
      expect(msg.value.first).toBe(i === 0);
      back.push(...msg.value.lines);
    }
    expect(back).toEqual(lines);
    const empty = decodeFromHost(encodeHistory([])[0] ?? new Uint8Array());
    expect(empty).toEqual({ ok: true, value: { type: 'history', first: true, lines: [] } });
    expect(decodeFromHost(encodeFromHost({ type: 'refused', reason: 'muted' })).ok).toBe(true);
  });
});

describe('the host’s chat room', () => {
  it('stamps sender and name, numbers lines, keeps the last 100', () => {
    const room = new ChatRoom(() => 0, { BURST: 1000 });
    for (let i = 0; i < 120; i++) room.say(2, 'Bea', `m${i}`);
    room.system('Cy joined');
    expect(room.lines).toHaveLength(CHAT_LIMITS.HISTORY);
    expect(room.lines[0]).toEqual({ seq: 21, from: 2, name: 'Bea', text: 'm21' });
    expect(room.lines.at(-1)).toEqual({ seq: 120, text: 'Cy joined' });
  });

  it('rate limit: a burst, then one a second; a flooder is muted, the others are not', () => {
    const clock = new FakeClock();
    const room = new ChatRoom(() => clock.now());
    const results = [];
    for (let i = 0; i < CHAT_RATE.BURST + 2; i++) results.push(room.say(2, 'Bea', 'hi').ok);
    expect(results).toEqual([true, true, true, true, true, false, false]);
    expect(room.stats.rate_limited).toBe(2);
    clock.advance(1000);
    expect(room.say(2, 'Bea', 'again').ok).toBe(true);
    // Flooding on: past FLOOD_STRIKES refusals the sender is muted, even after waiting.
    for (let i = 0; i < CHAT_RATE.FLOOD_STRIKES; i++) room.say(2, 'Bea', 'spam');
    expect(room.muted.has(2)).toBe(true);
    clock.advance(60_000);
    expect(room.say(2, 'Bea', 'sorry')).toEqual({
      ok: false,
      error: { reason: 'muted', tell: true },
    });
    // A muted flooder is not answered at all: the host's answers stay bounded.
    for (let i = 0; i < CHAT_RATE.BURST; i++) room.say(2, 'Bea', 'spam');
    expect(room.say(2, 'Bea', 'spam')).toEqual({
      ok: false,
      error: { reason: 'muted', tell: false },
    });
    // Its target — anyone else — is untouched.
    expect(room.say(3, 'Cy', 'hello').ok).toBe(true);
    room.mute(2, false);
    clock.advance(1000);
    expect(room.say(2, 'Bea', 'sorry').ok).toBe(true);
  });

  it('the host mutes a player: refused and counted, until unmuted; bad frames and text are counted by kind', () => {
    const room = new ChatRoom(() => 0);
    room.mute(3, true);
    const refused = (reason: string) => ({ ok: false, error: { reason, tell: true } });
    expect(room.say(3, 'Cy', 'hi')).toEqual(refused('muted'));
    expect(room.say(2, 'Bea', '   ')).toEqual(refused('empty'));
    expect(room.say(2, 'Bea', 'x'.repeat(201))).toEqual(refused('too_long'));
    expect(room.say(2, 'Bea', undefined)).toEqual(refused('malformed'));
    expect(room.stats).toMatchObject({ muted: 1, empty: 1, too_long: 1, malformed: 1 });
    expect(room.lines).toEqual([]);
    // Junk costs tokens like chat: with the burst spent, the next message waits.
    room.say(2, 'Bea', undefined);
    room.say(2, 'Bea', undefined);
    expect(room.say(2, 'Bea', 'hello')).toEqual(refused('rate_limited'));
    room.forget(3);
    expect(room.muted.has(3)).toBe(false);
  });

  it('a guest keeps the host’s lines in order; a new host’s history replaces them', () => {
    const room = new ChatRoom(() => 0);
    room.history([{ seq: 4, text: 'a' }], true);
    room.receive({ seq: 5, from: 2, name: 'Bea', text: 'b' });
    room.receive({ seq: 5, from: 2, name: 'Bea', text: 'b' });
    expect(room.lines.map((l) => l.seq)).toEqual([4, 5]);
    // Promoted: it carries on numbering after the last line it holds.
    expect(room.system('Ada left — you are hosting now').seq).toBe(6);
    room.history([{ seq: 0, text: 'x' }], true);
    expect(room.lines).toEqual([{ seq: 0, text: 'x' }]);
  });

  it('a guest keeps the host’s mutes, and applies them once it is host', () => {
    const room = new ChatRoom(() => 0);
    room.adoptMutes([3]);
    expect([...room.muted]).toEqual([3]);
    expect(room.say(3, 'Cy', 'am I heard?')).toEqual({
      ok: false,
      error: { reason: 'muted', tell: true },
    });
    expect(room.say(2, 'Bea', 'hi').ok).toBe(true);
    room.adoptMutes([]);
    expect(room.say(3, 'Cy', 'now?').ok).toBe(true);
  });
});
