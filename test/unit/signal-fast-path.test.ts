import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import {
  decodeClientMessage,
  decodeServerMessage,
  encodeSignalFrom,
  isExactSignal,
  SignalFromMessage,
  SignalMessage,
  signalDataText,
  WIRE_LIMITS,
} from '../../shared/protocol/signaling.ts';
import { Rng } from '../support/random.ts';

/** Values a field may be mutated to: near every bound of the schema, and every JSON kind. */
const ODD_VALUES: unknown[] = [
  null,
  true,
  false,
  0,
  -0,
  -1,
  1,
  1.5,
  255,
  256,
  0xffff,
  0x10000,
  0xffffffff,
  0x100000000,
  '',
  'x',
  '0',
  'audio',
  'video',
  'offer',
  'x'.repeat(64),
  'x'.repeat(65),
  'x'.repeat(256),
  'x'.repeat(257),
  'x'.repeat(WIRE_LIMITS.CANDIDATE),
  'x'.repeat(WIRE_LIMITS.CANDIDATE + 1),
  'x'.repeat(WIRE_LIMITS.SDP),
  'x'.repeat(WIRE_LIMITS.SDP + 1),
  [],
  ['a'],
  {},
  { kind: 'audio' },
];

function validData(rng: Rng): Record<string, unknown> {
  switch (rng.int(5)) {
    case 0:
      return { type: rng.pick(['offer', 'answer']), sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1' };
    case 1: {
      const candidate: Record<string, unknown> = {
        candidate: 'candidate:1 1 udp 2 1.2.3.4 5 typ host',
      };
      if (rng.chance(0.7)) candidate.sdpMid = rng.pick(['0', null]);
      if (rng.chance(0.7)) candidate.sdpMLineIndex = rng.pick([0, 1, null]);
      if (rng.chance(0.7)) candidate.usernameFragment = rng.pick(['Xk7p', null]);
      return { type: 'candidate', candidate };
    }
    case 2:
      return { type: 'renegotiate', renegotiate: true };
    case 3:
      return {
        type: 'transceiverRequest',
        transceiverRequest: { kind: rng.pick(['audio', 'video']) },
      };
    default:
      return { type: 'candidate', candidate: { candidate: '' } };
  }
}

/** Every object in `root`, with its parent path, so one can be picked and mutated. */
function objectsIn(root: Record<string, unknown>): Record<string, unknown>[] {
  const out = [root];
  for (const value of Object.values(root)) {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      out.push(...objectsIn(value as Record<string, unknown>));
    }
  }
  return out;
}

function mutated(rng: Rng, idKey: 'to' | 'from'): Record<string, unknown> {
  const msg: Record<string, unknown> = { type: 'signal', [idKey]: rng.range(1, 0xffff) };
  if (rng.chance(0.5)) msg.attempt = rng.range(0, 10);
  msg.data = validData(rng);
  for (let n = rng.int(3); n > 0; n--) {
    const target = rng.pick(objectsIn(msg));
    const keys = Object.keys(target);
    switch (rng.int(4)) {
      case 0:
        target[rng.pick(keys)] = structuredClone(rng.pick(ODD_VALUES));
        break;
      case 1:
        delete target[rng.pick(keys)];
        break;
      case 2:
        target[rng.pick(['extra', 'kind', 'sdp', 'candidate', 'attempt', 'type', 'to', 'from'])] =
          structuredClone(rng.pick(ODD_VALUES));
        break;
      default:
        break;
    }
  }
  return msg;
}

/** JSON with every object's keys sorted: equal for equal content, whatever the key order. */
const canonical = (x: unknown): string =>
  JSON.stringify(x, (_key, value: unknown) =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1)))
      : value,
  );

describe('the signal fast path', () => {
  it('accepts exactly what the schema accepts unchanged, for 20,000 seeded messages', () => {
    const rng = new Rng(13);
    let fast = 0;
    for (let i = 0; i < 20_000; i++) {
      const idKey = rng.chance(0.5) ? 'to' : 'from';
      const schema = idKey === 'to' ? SignalMessage : SignalFromMessage;
      // Through text, as it arrives (a -0 in the object is 0 on the wire).
      const json = JSON.parse(JSON.stringify(mutated(rng, idKey)));
      const parsed = v.safeParse(schema, json);
      const sameAsInput = parsed.success && canonical(parsed.output) === canonical(json);
      const exact = isExactSignal(json, idKey);
      if (exact !== sameAsInput) throw new Error(`seed 13, message ${i}: ${JSON.stringify(json)}`);
      if (exact) fast++;
      const text = JSON.stringify(json);
      const decoded = idKey === 'to' ? decodeClientMessage(text) : decodeServerMessage(text);
      expect(decoded.ok).toBe(parsed.success);
      if (decoded.ok && parsed.success) expect(decoded.value).toStrictEqual(parsed.output);
    }
    // Both paths were exercised.
    expect(fast).toBeGreaterThan(2_000);
    expect(fast).toBeLessThan(18_000);
  });

  it('leaves keys the schema does not know, and duplicated keys, to the schema', () => {
    const data = '{"type":"renegotiate","renegotiate":true}';
    for (const text of [
      `{"type":"signal","to":2,"data":${data},"__proto__":{"x":1}}`,
      `{"type":"signal","to":2,"data":{"type":"renegotiate","renegotiate":true,"__proto__":1}}`,
      `{"type":"signal","to":2,"data":{"type":"offer","sdp":"x"},"data":${data}}`,
      `{"type":"signal","to":1e400,"data":${data}}`,
    ]) {
      const json = JSON.parse(text);
      const parsed = v.safeParse(SignalMessage, json);
      expect(isExactSignal(json, 'to')).toBe(
        parsed.success && canonical(parsed.output) === canonical(json),
      );
      const decoded = decodeClientMessage(text);
      expect(decoded.ok).toBe(parsed.success);
      if (decoded.ok && parsed.success) expect(decoded.value).toStrictEqual(parsed.output);
    }
  });

  it('encodes a forwarded signal as JSON.stringify does', () => {
    const data = {
      type: 'candidate',
      candidate: { candidate: 'c "quoted" \\ \u2028', sdpMid: null },
    } as const;
    for (const attempt of [undefined, 0, 7, 0xffffffff]) {
      const expected = JSON.stringify({
        type: 'signal',
        from: 3,
        ...(attempt === undefined ? {} : { attempt }),
        data,
      });
      expect(encodeSignalFrom(3, attempt, JSON.stringify(data))).toBe(expected);
      expect(decodeServerMessage(expected).ok).toBe(true);
    }
  });

  it('slices the payload from the text only when the text holds nothing else', () => {
    const data = {
      type: 'candidate',
      candidate: { candidate: 'c', sdpMid: '0', sdpMLineIndex: 100 },
    };
    const dataJson = JSON.stringify(data);
    const cases: [string, string | undefined][] = [
      [`{"type":"signal","to":2,"data":${dataJson}}`, dataJson],
      [`{"type":"signal","to":2,"attempt":7,"data":${dataJson}}`, dataJson],
      // Same value, spelled otherwise at the same length: forwarded as sent.
      [
        `{"type":"signal","to":2,"data":${dataJson.replace(':100', ':1e2')}}`,
        dataJson.replace(':100', ':1e2'),
      ],
      [`{"type":"signal","to":2,"data":${dataJson} }`, undefined],
      [`{"type":"signal", "to":2,"data":${dataJson}}`, undefined],
      [`{"to":2,"type":"signal","data":${dataJson}}`, undefined],
      [`{"type":"signal","to":2,"data":${dataJson},"x":1}`, undefined],
      [`{"type":"signal","to":2,"data":${dataJson.replace('"c"', '"\\u0063"')}}`, undefined],
      [`{"type":"signal","to":2,"data":${dataJson.replace('"c"', '"c\\"d"')}}`, undefined],
      [
        `{"type":"signal","to":2,"data":{"type":"offer","sdp":"evil"},"data":${dataJson}}`,
        undefined,
      ],
      [
        `{"type":"signal","to":2,"data":{"type":"candidate","candidate":{"candidate":"x","candidate":"c","sdpMid":"0","sdpMLineIndex":100}}}`,
        undefined,
      ],
    ];
    for (const [text, expected] of cases) {
      const decoded = decodeClientMessage(text);
      if (!decoded.ok || decoded.value.type !== 'signal') throw new Error(`not a signal: ${text}`);
      expect(signalDataText(text, decoded.value), text).toBe(expected);
    }
  });

  it('never slices anything but the checked payload, for 20,000 seeded messages', () => {
    const rng = new Rng(14);
    let sliced = 0;
    for (let i = 0; i < 20_000; i++) {
      let text = JSON.stringify(mutated(rng, 'to'));
      // Whitespace, a duplicated key, an escape or another spelling, somewhere.
      if (rng.chance(0.5)) {
        const at = rng.int(text.length);
        const insert = rng.pick([' ', '"type":"offer",', '"sdp":"x",', '\\u0041', '1e2', '0']);
        text = text.slice(0, at) + insert + text.slice(at);
      }
      const decoded = decodeClientMessage(text);
      if (!decoded.ok || decoded.value.type !== 'signal') continue;
      const slice = signalDataText(text, decoded.value);
      if (slice === undefined) continue;
      sliced++;
      expect(JSON.parse(slice)).toStrictEqual(decoded.value.data);
      expect(slice.length).toBe(JSON.stringify(decoded.value.data).length);
    }
    expect(sliced).toBeGreaterThan(2_000);
  });
});
