import { describe, expect, it } from 'vitest';
import { KeyedBuckets } from '../../shared/rate-limit.ts';
import {
  crc32,
  decodeBindingRequest,
  decodeBindingSuccess,
  encodeBindingRequest,
  encodeBindingSuccess,
  fingerprintOf,
  ipBytes,
} from '../../signaling/stun.ts';
import { StunResponder } from '../../signaling/stun-responder.ts';
import { seededRandom as random } from '../support/random.ts';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** RFC 5769 §2.1: a Binding request with SOFTWARE, PRIORITY, ICE-CONTROLLED, USERNAME, MESSAGE-INTEGRITY, FINGERPRINT. */
const RFC5769_REQUEST = hex(`
  00010058 2112a442 b7e7a701 bc34d686 fa87dfae
  80220010 5354554e 20746573 7420636c 69656e74
  00240004 6e0001ff
  80290008 932ff9b1 51263b36
  00060009 6576746a 3a683676 59202020
  00080014 9aeaa70c bfd8cb56 781ef2b5 b2d3f249 c1b571a2
  80280004 e57a3bcf`);
/** RFC 5769 §2.2: the IPv4 response, 192.0.2.1 port 32853. */
const RFC5769_IPV4_RESPONSE = hex(`
  0101003c 2112a442 b7e7a701 bc34d686 fa87dfae
  8022000b 74657374 20766563 746f7220
  00200008 0001a147 e112a643
  00080014 2b91f599 fd9e90c3 8c7489f9 2af9ba53 f06be7d7
  80280004 c07d4c96`);
/** RFC 5769 §2.3: the IPv6 response, 2001:db8:1234:5678:11:2233:4455:6677 port 32853. */
const RFC5769_IPV6_RESPONSE = hex(`
  01010048 2112a442 b7e7a701 bc34d686 fa87dfae
  8022000b 74657374 20766563 746f7220
  00200014 0002a147 0113a9fa a5d3f179 bc25f4b5 bed2b9d9
  00080014 a382954e 4be67bf1 1784c97c 8292c275 bfe3ed41
  80280004 c8fb0b4c`);
const TXID = hex('b7e7a701bc34d686fa87dfae');

describe('STUN codec: RFC 5769 test vectors', () => {
  it('CRC-32 is the zlib one', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('decodes the sample request and checks its FINGERPRINT on the bytes received', () => {
    const r = decodeBindingRequest(RFC5769_REQUEST);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(toHex(r.value.transactionId)).toBe(toHex(TXID));
    expect(r.value.fingerprint).toBe(true);
  });

  it('reads the mapped address of the IPv4 and IPv6 sample responses', () => {
    const v4 = decodeBindingSuccess(RFC5769_IPV4_RESPONSE);
    expect(v4.ok && { ip: [...v4.value.mapped.ip], port: v4.value.mapped.port }).toEqual({
      ip: [192, 0, 2, 1],
      port: 32853,
    });
    expect(v4.ok && v4.value.fingerprint).toBe(true);
    const v6 = decodeBindingSuccess(RFC5769_IPV6_RESPONSE);
    expect(v6.ok && toHex(v6.value.mapped.ip)).toBe('20010db8123456780011223344556677');
    expect(v6.ok && v6.value.mapped.port).toBe(32853);
    expect(v6.ok && v6.value.fingerprint).toBe(true);
  });

  it('encodes XOR-MAPPED-ADDRESS exactly as the sample responses do', () => {
    const request = { transactionId: TXID, fingerprint: true };
    const v4 = encodeBindingSuccess(request, {
      ip: ipBytes('192.0.2.1') as Uint8Array,
      port: 32853,
    });
    expect(toHex(v4.subarray(20, 32))).toBe(toHex(RFC5769_IPV4_RESPONSE.subarray(36, 48)));
    const v6 = encodeBindingSuccess(request, {
      ip: ipBytes('2001:db8:1234:5678:11:2233:4455:6677') as Uint8Array,
      port: 32853,
    });
    expect(toHex(v6.subarray(20, 44))).toBe(toHex(RFC5769_IPV6_RESPONSE.subarray(36, 60)));
    // Header: success type, attribute length, cookie, the request's transaction id.
    expect(toHex(v4.subarray(0, 20))).toBe(`01010014 2112a442 ${toHex(TXID)}`.replace(/ /g, ''));
  });

  it('puts a FINGERPRINT in the answer exactly when the request had one', () => {
    const ip = ipBytes('10.0.0.7') as Uint8Array;
    const withFp = encodeBindingSuccess(
      { transactionId: TXID, fingerprint: true },
      { ip, port: 9 },
    );
    const without = encodeBindingSuccess(
      { transactionId: TXID, fingerprint: false },
      { ip, port: 9 },
    );
    expect(withFp.length).toBe(40);
    expect(without.length).toBe(32);
    const last = new DataView(withFp.buffer).getUint32(36);
    expect(last).toBe(fingerprintOf(withFp.subarray(0, 32)));
    const decoded = decodeBindingSuccess(withFp);
    expect(decoded.ok && decoded.value.fingerprint).toBe(true);
    expect(decodeBindingSuccess(without).ok).toBe(true);
  });

  it('answers 20- and 28-byte requests with 32/40 bytes (IPv4) and 44/52 (IPv6), nothing more', () => {
    const v6 = ipBytes('2001:db8::1') as Uint8Array;
    const v4 = ipBytes('203.0.113.9') as Uint8Array;
    for (const fp of [false, true]) {
      const req = encodeBindingRequest(TXID, fp);
      expect(req.length).toBe(fp ? 28 : 20);
      const decoded = decodeBindingRequest(req);
      if (!decoded.ok) throw new Error(decoded.error);
      expect(encodeBindingSuccess(decoded.value, { ip: v4, port: 1 }).length).toBe(fp ? 40 : 32);
      expect(encodeBindingSuccess(decoded.value, { ip: v6, port: 1 }).length).toBe(fp ? 52 : 44);
    }
  });
});

describe('STUN codec: strict decoding', () => {
  const base = encodeBindingRequest(TXID, true);
  const withAttr = (type: number, value: Uint8Array, fingerprint = false) => {
    const padded = Math.ceil(value.length / 4) * 4;
    const out = new Uint8Array(20 + 4 + padded + (fingerprint ? 8 : 0));
    const view = new DataView(out.buffer);
    out.set(base.subarray(0, 20));
    view.setUint16(2, out.length - 20);
    view.setUint16(20, type);
    view.setUint16(22, value.length);
    out.set(value, 24);
    if (fingerprint) {
      const at = 24 + padded;
      view.setUint16(at, 0x8028);
      view.setUint16(at + 2, 4);
      view.setUint32(at + 4, fingerprintOf(out.subarray(0, at)));
    }
    return out;
  };

  it.each([
    ['empty', new Uint8Array(0), 'not_stun'],
    ['19 bytes', base.subarray(0, 19), 'not_stun'],
    ['a trailing byte', Uint8Array.from([...base, 0]), 'not_stun'],
    ['a length field that lies', Uint8Array.from(base).fill(0x0c, 3, 4), 'not_stun'],
    ['an RFC 3489 request (no magic cookie)', Uint8Array.from(base).fill(0, 4, 8), 'not_stun'],
    ['leading bits set (RTP, DTLS…)', Uint8Array.from([0x80, ...base.subarray(1)]), 'not_stun'],
    [
      'a Binding indication',
      Uint8Array.from([0x00, 0x11, ...base.subarray(2)]),
      'not_binding_request',
    ],
    [
      'a Binding success response',
      Uint8Array.from([0x01, 0x01, ...base.subarray(2)]),
      'not_binding_request',
    ],
    [
      'a TURN Allocate request',
      Uint8Array.from([0x00, 0x03, ...base.subarray(2)]),
      'not_binding_request',
    ],
    [
      'a wrong FINGERPRINT',
      Uint8Array.from([...base.subarray(0, 27), (base[27] ?? 0) ^ 1]),
      'bad_fingerprint',
    ],
    [
      'CHANGE-REQUEST (RFC 5780, not supported)',
      withAttr(0x0003, new Uint8Array(4)),
      'unknown_attribute',
    ],
    [
      'an attribute overrunning the message',
      withAttr(0x8022, new Uint8Array(4)).fill(0x40, 23, 24),
      'malformed',
    ],
  ] as const)('ignores %s', (_what, bytes, reason) => {
    const r = decodeBindingRequest(bytes);
    expect(r.ok ? 'answered' : r.error).toBe(reason);
  });

  it('ignores anything after FINGERPRINT, and anything but FINGERPRINT after MESSAGE-INTEGRITY', () => {
    const afterFp = Uint8Array.from([...base, 0x80, 0x22, 0, 0]);
    new DataView(afterFp.buffer).setUint16(2, afterFp.length - 20);
    expect(decodeBindingRequest(afterFp)).toEqual({ ok: false, error: 'malformed' });
    const mi = withAttr(0x0008, new Uint8Array(20));
    const afterMi = Uint8Array.from([...mi, 0x80, 0x22, 0, 0]);
    new DataView(afterMi.buffer).setUint16(2, afterMi.length - 20);
    expect(decodeBindingRequest(afterMi)).toEqual({ ok: false, error: 'malformed' });
  });

  it('answers with unknown optional attributes (SOFTWARE) and tolerated required ones (USERNAME)', () => {
    expect(decodeBindingRequest(withAttr(0x8022, new TextEncoder().encode('x'), true)).ok).toBe(
      true,
    );
    expect(decodeBindingRequest(withAttr(0x0006, new TextEncoder().encode('ab:cd'))).ok).toBe(true);
  });

  it('lets no single-bit flip of the RFC 5769 request through with its FINGERPRINT', () => {
    let refused = 0;
    for (let bit = 0; bit < RFC5769_REQUEST.length * 8; bit++) {
      const flipped = Uint8Array.from(RFC5769_REQUEST);
      flipped[bit >> 3] = (flipped[bit >> 3] ?? 0) ^ (1 << (bit & 7));
      const r = decodeBindingRequest(flipped);
      // A flip in an attribute length can make that attribute swallow the rest, FINGERPRINT
      // included: a sound request without one. Everything else is refused.
      expect(r.ok && r.value.fingerprint, `bit ${bit}`).toBe(false);
      if (!r.ok) refused++;
    }
    expect(refused).toBeGreaterThan(RFC5769_REQUEST.length * 8 - 8);
  });

  it('never throws: 100,000 random datagrams and 100,000 mutated requests (seeded)', () => {
    const failures: string[] = [];
    const attempt = (bytes: Uint8Array, what: string) => {
      try {
        answer(bytes);
      } catch (error) {
        failures.push(`${what}: ${toHex(bytes)}: ${(error as Error).message}`);
      }
    };
    const answer = (bytes: Uint8Array) => {
      const r = decodeBindingRequest(bytes);
      // Whatever decodes must also encode an answer without trouble.
      if (r.ok) encodeBindingSuccess(r.value, { ip: new Uint8Array(16), port: 1 });
      decodeBindingSuccess(bytes);
    };
    for (const seed of [1, 2, 3, 4]) {
      const rand = random(seed);
      const byte = () => Math.floor(rand() * 256);
      for (let i = 0; i < 25_000; i++) {
        const bytes = Uint8Array.from({ length: Math.floor(rand() * 120) }, byte);
        // Half of them look like STUN up front, so the attribute walk gets exercised too.
        if (bytes.length >= 8 && rand() < 0.5) {
          bytes.set([
            0,
            rand() < 0.5 ? 1 : byte(),
            0,
            (bytes.length - 20) & 0xfc,
            0x21,
            0x12,
            0xa4,
            0x42,
          ]);
        }
        attempt(bytes, `seed ${seed} #${i}`);
      }
      const samples = [
        RFC5769_REQUEST,
        base,
        encodeBindingRequest(TXID, false),
        RFC5769_IPV6_RESPONSE,
      ];
      for (let i = 0; i < 25_000; i++) {
        const sample = samples[i % samples.length] as Uint8Array;
        let bytes = Uint8Array.from(sample);
        const op = rand();
        if (op < 0.4) {
          for (let k = 1 + Math.floor(rand() * 4); k > 0; k--)
            bytes[Math.floor(rand() * bytes.length)] = byte();
        } else if (op < 0.6) {
          bytes = bytes.subarray(0, Math.floor(rand() * bytes.length));
        } else if (op < 0.8) {
          bytes = Uint8Array.from([
            ...bytes,
            ...Array.from({ length: 1 + Math.floor(rand() * 12) }, byte),
          ]);
        } else {
          // Attribute lengths and the message length are where parsers go wrong.
          const view = new DataView(bytes.buffer);
          const at = rand() < 0.3 ? 2 : 22 + 4 * Math.floor(rand() * ((bytes.length - 22) / 4));
          if (at + 2 <= bytes.length) view.setUint16(at, Math.floor(rand() * 65536));
        }
        attempt(bytes, `seed ${seed} mutation #${i}`);
      }
    }
    expect(failures).toEqual([]);
  });
});

describe('IP address bytes', () => {
  it.each([
    ['127.0.0.1', '7f000001'],
    ['::ffff:127.0.0.1', '7f000001'],
    ['::FFFF:10.1.2.3', '0a010203'],
    ['::1', '00000000000000000000000000000001'],
    ['::', '00000000000000000000000000000000'],
    ['2001:db8::1', '20010db8000000000000000000000001'],
    ['fe80::1%eth0', 'fe800000000000000000000000000001'],
    ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008'],
    ['64:ff9b::192.0.2.33', '0064ff9b0000000000000000c0000221'],
  ])('%s', (text, bytes) => {
    expect(toHex(ipBytes(text) as Uint8Array)).toBe(bytes);
  });

  it.each([
    '',
    '1.2.3',
    '256.1.1.1',
    '01.2.3.4',
    '1.2.3.4.5',
    ':::',
    '1::2::3',
    'g::1',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7::8',
    '::1.2.3',
    'localhost',
  ])('refuses %j', (text) => {
    expect(ipBytes(text)).toBeUndefined();
  });
});

describe('STUN responder: rate per address, bounded memory', () => {
  const request = encodeBindingRequest(TXID, true);

  it('answers with the address it came from, counts what it ignores', () => {
    const responder = new StunResponder({ rate: 10, burst: 10, maxTrackedAddresses: 100 });
    const reply = responder.answer(request, '::ffff:198.51.100.7', 40000, 0);
    const decoded = decodeBindingSuccess(reply as Uint8Array);
    expect(decoded.ok && [...decoded.value.mapped.ip]).toEqual([198, 51, 100, 7]);
    expect(decoded.ok && decoded.value.mapped.port).toBe(40000);
    expect(responder.answer(new Uint8Array([1, 2, 3]), '198.51.100.7', 1, 0)).toBeUndefined();
    expect(responder.answer(request, 'not-an-ip', 1, 0)).toBeUndefined();
    expect(responder.stats).toMatchObject({ requests: 2, responses: 1, rateLimited: 0 });
    expect(Object.fromEntries(responder.stats.ignored)).toEqual({ not_stun: 1, bad_address: 1 });
  });

  it('cuts one address to its burst, then its rate, while another address is still answered', () => {
    const responder = new StunResponder({ rate: 20, burst: 5, maxTrackedAddresses: 100 });
    let answered = 0;
    for (let i = 0; i < 100; i++) if (responder.answer(request, '203.0.113.1', 1, 1000)) answered++;
    expect(answered).toBe(5);
    expect(responder.answer(request, '203.0.113.2', 1, 1000)).toBeDefined();
    // One second later: 20 more.
    answered = 0;
    for (let i = 0; i < 100; i++) if (responder.answer(request, '203.0.113.1', 1, 2000)) answered++;
    expect(answered).toBe(5);
    expect(responder.stats.rateLimited).toBe(190);
  });

  it('forgets quiet addresses and never tracks more than its cap', () => {
    const responder = new StunResponder({ rate: 1, burst: 2, maxTrackedAddresses: 50 });
    for (let i = 0; i < 500; i++) responder.answer(request, `10.0.${i >> 8}.${i & 255}`, 1, 0);
    expect(responder.trackedAddresses).toBe(50);
    // Each took one of its 2 tokens at 0 and gets 1 a second back: full again at 1000.
    responder.sweep(500);
    expect(responder.trackedAddresses).toBe(50);
    responder.sweep(1000);
    expect(responder.trackedAddresses).toBe(0);
  });
});

describe('keyed token buckets', () => {
  it('evicts the oldest key when full, and sweeps only buckets that are full again', () => {
    const buckets = new KeyedBuckets(1, 1, 2);
    expect(buckets.take('a', 0)).toBe(true);
    expect(buckets.take('a', 0)).toBe(false);
    expect(buckets.take('b', 0)).toBe(true);
    expect(buckets.take('c', 0)).toBe(true); // evicts a
    expect(buckets.size).toBe(2);
    expect(buckets.take('a', 0)).toBe(true); // a starts afresh, b is evicted
    buckets.sweep(500);
    expect(buckets.size).toBe(2);
    buckets.sweep(1000);
    expect(buckets.size).toBe(0);
  });
});
