import { describe, expect, it } from 'vitest';
import { CloseCode, shouldReconnect } from '../../shared/protocol/close-codes.ts';
import {
  encodeCrockford,
  formatLobbyCode,
  LOBBY_CODE_LENGTH,
  normalizeLobbyCode,
} from '../../shared/protocol/lobby-code.ts';
import {
  encodeRelayFrame,
  RELAY_HEADER_BYTES,
  readRelayHeader,
  relayPayload,
  stampRelaySender,
} from '../../shared/protocol/relay-frame.ts';
import { decodeClientMessage, decodeServerMessage } from '../../shared/protocol/signaling.ts';
import {
  lobbyCodeFor,
  newHostKey,
  newResumeToken,
  provesOwnership,
  storedTag,
  tokenTag,
} from '../../signaling/secrets.ts';

describe('lobby codes', () => {
  it('encode 65 bits as 13 Crockford characters', () => {
    expect(encodeCrockford(new Uint8Array(9), LOBBY_CODE_LENGTH)).toBe('0'.repeat(13));
    expect(encodeCrockford(new Uint8Array(9).fill(255), LOBBY_CODE_LENGTH)).toBe('Z'.repeat(13));
    expect(() => encodeCrockford(new Uint8Array(8), 13)).toThrow(RangeError);
  });

  it('parse what people type: case, spaces, dashes, O/I/L look-alikes', () => {
    expect(normalizeLobbyCode('abcd-efgh-jkmnp')).toBe('ABCDEFGHJKMNP');
    expect(normalizeLobbyCode(' o1l2 3456 7890A ')).toBe('011234567890A');
    expect(normalizeLobbyCode('ABCDEFGHJKMN')).toBeUndefined();
    expect(normalizeLobbyCode('ABCDEFGHJKMNU')).toBeUndefined();
    expect(formatLobbyCode('ABCDEFGHJKMNP')).toBe('ABCD-EFGH-JKMNP');
  });

  it('derive from the host key: same key same code; 1,000 keys give 1,000 codes', () => {
    const key = newHostKey();
    expect(lobbyCodeFor(key)).toBe(lobbyCodeFor(key));
    expect(normalizeLobbyCode(lobbyCodeFor(key))).toBe(lobbyCodeFor(key));
    const codes = new Set(Array.from({ length: 1000 }, () => lobbyCodeFor(newHostKey())));
    expect(codes.size).toBe(1000);
  });

  it('derive codes and tags exactly as before (pinned: a re-claim after an upgrade must still match)', () => {
    const key = 'a-host-key-for-this-test-0123456789abcdefgh';
    expect(lobbyCodeFor(key)).toBe('QTJJA7HFPJHNJ');
    expect(lobbyCodeFor(key, '7Q')).toBe('7QQ0SWEGC0WZB');
    // Keys are 32 characters now; a 43-character key from an older server still proves its lobby.
    expect(provesOwnership('a-secret', 'QTJJA7HFPJHNJ', key, 0, undefined)).toBe(true);
    expect(tokenTag('a-resume-token')).toBe('RXQDwIBWXgr_OxSCZGMuZw');
    // A host may still hold the whole hash an older server handed out as the tag.
    expect(storedTag('RXQDwIBWXgr_OxSCZGMuZ6S0F2QGD75sMF42MNHmcKY')).toBe('RXQDwIBWXgr_OxSCZGMuZw');
    expect(storedTag('RXQDwIBWXgr_OxSCZGMuZw')).toBe('RXQDwIBWXgr_OxSCZGMuZw');
  });

  it('secrets: 32 base64url characters (192 bits), never repeated', () => {
    const keys = Array.from({ length: 1000 }, () => newHostKey());
    const tokens = Array.from({ length: 1000 }, () => newResumeToken());
    for (const key of keys) expect(key).toMatch(/^[A-Za-z0-9_-]{32}$/);
    for (const token of tokens) expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(new Set([...keys, ...tokens]).size).toBe(2000);
  });

  it('resume tokens carry at least 128 bits and are stored only as tags', () => {
    const token = newResumeToken();
    expect(Buffer.from(token, 'base64url').length * 8).toBeGreaterThanOrEqual(128);
    expect(tokenTag(token)).not.toContain(token);
    expect(tokenTag(token)).toBe(tokenTag(token));
  });
});

describe('relay frames', () => {
  it('round-trip header and payload; the sender stamp overwrites the peer field in place', () => {
    const frame = encodeRelayFrame(513, new Uint8Array([9, 8, 7]), true);
    expect(frame.length).toBe(RELAY_HEADER_BYTES + 3);
    expect(readRelayHeader(frame)).toEqual({
      ok: true,
      value: { peer: 513, droppable: true, control: false },
    });
    stampRelaySender(frame, 7);
    expect(readRelayHeader(frame)).toEqual({
      ok: true,
      value: { peer: 7, droppable: true, control: false },
    });
    expect([...relayPayload(frame)]).toEqual([9, 8, 7]);
  });

  it('reject short frames, other versions and unknown flags', () => {
    expect(readRelayHeader(new Uint8Array(3))).toEqual({ ok: false, error: 'too_short' });
    expect(readRelayHeader(new Uint8Array([2, 0, 0, 1]))).toEqual({
      ok: false,
      error: 'bad_version',
    });
    expect(readRelayHeader(encodeRelayFrame(3, new Uint8Array(1), false, true))).toEqual({
      ok: true,
      value: { peer: 3, droppable: false, control: true },
    });
    expect(readRelayHeader(new Uint8Array([1, 4, 0, 1]))).toEqual({
      ok: false,
      error: 'bad_flags',
    });
  });
});

describe('message decoding', () => {
  it('accepts every client message and strips unknown keys', () => {
    const r = decodeClientMessage('{"type":"join","code":"x","name":"n","from":99,"extra":1}');
    expect(r).toEqual({ ok: true, value: { type: 'join', code: 'x', name: 'n' } });
  });

  it('names the error: malformed, unknown type, invalid field with its path, too long', () => {
    expect(decodeClientMessage('{')).toMatchObject({
      ok: false,
      error: { code: 'malformed_json' },
    });
    expect(decodeClientMessage('[1]')).toMatchObject({ error: { code: 'malformed_json' } });
    expect(decodeClientMessage('{"type":"toString"}')).toMatchObject({
      error: { code: 'unknown_type' },
    });
    expect(decodeClientMessage('{"type":"kick","id":"2"}')).toMatchObject({
      error: { code: 'invalid_field', field: 'id', ref: 'kick' },
    });
    expect(
      decodeClientMessage(
        JSON.stringify({ type: 'signal', to: 2, data: { type: 'offer', sdp: 'x'.repeat(20_000) } }),
      ),
    ).toMatchObject({ error: { code: 'too_long', field: 'data.sdp' } });
  });

  it('decodes what the server sends, for the browser', () => {
    const r = decodeServerMessage(
      '{"type":"error","code":"join_refused","message":"m","reason":"full"}',
    );
    expect(r.ok).toBe(true);
    expect(decodeServerMessage('{"type":"error","code":"nope","message":"m"}')).toMatchObject({
      error: { code: 'invalid_field', field: 'code' },
    });
  });
});

describe('close codes', () => {
  it('tell the client whether to reconnect', () => {
    expect(shouldReconnect(CloseCode.GOING_AWAY)).toBe(true);
    expect(shouldReconnect(CloseCode.HEARTBEAT_TIMEOUT)).toBe(true);
    expect(shouldReconnect(1006)).toBe(true);
    expect(shouldReconnect(CloseCode.KICKED)).toBe(false);
    expect(shouldReconnect(CloseCode.LOBBY_CLOSED)).toBe(false);
    expect(shouldReconnect(CloseCode.PROTOCOL_MISMATCH)).toBe(false);
  });
});
