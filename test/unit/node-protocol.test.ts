import { describe, expect, it } from 'vitest';
import {
  decodeNodeMessage,
  encodeBatch,
  encodeNodeMessage,
  splitBatch,
} from '../../signaling/node-protocol.ts';
import { redactRedisUrl } from '../../signaling/redis-cluster.ts';

/** Messages between nodes are checked as strictly as a browser's: bad ones are values, never throws. */
describe('node messages', () => {
  it('carry a header and the client payload byte for byte', () => {
    const payload = '{"type":"signal","to":1,"data":{"type":"answer","sdp":"v=0"}}';
    const bytes = encodeNodeMessage({ k: 'c.text', from: 'game1:8081', conn: 42 }, payload);
    const decoded = decodeNodeMessage(bytes, 1024);
    expect(decoded.ok && decoded.value.header).toEqual({
      k: 'c.text',
      from: 'game1:8081',
      conn: 42,
    });
    expect(decoded.ok && decoded.value.payload.toString()).toBe(payload);
    const frame = new Uint8Array([1, 0, 0, 2, 9, 9]);
    const bin = decodeNodeMessage(
      encodeNodeMessage({ k: 'o.bin', from: 'a', conn: 1 }, frame),
      1024,
    );
    expect(bin.ok && [...bin.value.payload]).toEqual([...frame]);
  });

  it('refuse bad framing, bad headers, unknown keys, payloads where none belong and oversized ones', () => {
    const header = (h: object, payload = Buffer.alloc(0)) => {
      const head = Buffer.from(JSON.stringify(h));
      return Buffer.concat([Buffer.from([head.length >> 8, head.length & 255]), head, payload]);
    };
    const cases: Buffer[] = [
      Buffer.alloc(0),
      Buffer.from([0]),
      Buffer.from([0, 50, 123]),
      Buffer.from([4, 1, 123]),
      header({ k: 'c.text', from: 'a', conn: 1 }).subarray(0, 10),
      Buffer.concat([Buffer.from([0, 3]), Buffer.from('{x}')]),
      header({ k: 'x.nope', from: 'a', conn: 1 }),
      header({ k: 'c.text', from: 'a b', conn: 1 }),
      header({ k: 'c.text', from: 'a', conn: 0 }),
      header({ k: 'c.text', from: 'a', conn: 1.5 }),
      header({ k: 'c.text', from: 'a', conn: 1, extra: true }),
      header({ k: 'c.open', from: 'a', conn: 1, ip: '1.2.3.4', baseUrl: 'javascript:alert(1)' }),
      header({ k: 'o.close', from: 'a', conn: 1, code: 999, reason: '' }),
      header({ k: 'o.ping', from: 'a', conn: 1 }, Buffer.from('x')),
      header({ k: 'c.text', from: 'a', conn: 1 }, Buffer.alloc(2000)),
      header([1, 2, 3]),
    ];
    for (const bytes of cases) expect(decodeNodeMessage(bytes, 1024).ok).toBe(false);
  });

  it('travel in batches that split back exactly, and a batch that does not split is refused whole', () => {
    const a = encodeNodeMessage({ k: 'c.pong', from: 'a', conn: 7 });
    const b = encodeNodeMessage({ k: 'o.text', from: 'b', conn: 8 }, 'hello');
    const split = splitBatch(encodeBatch([a, b]));
    expect(split.ok && split.value.map((m) => m.toString('hex'))).toEqual([
      a.toString('hex'),
      b.toString('hex'),
    ]);
    const batch = encodeBatch([a, b]);
    for (const bad of [
      Buffer.alloc(0),
      batch.subarray(0, batch.length - 1),
      Buffer.from([0, 0, 0, 0]),
    ]) {
      expect(splitBatch(bad).ok).toBe(false);
    }
  });

  it('Redis URLs are logged without user or password', () => {
    expect(redactRedisUrl('redis://admin:hunter2@10.0.0.5:6379/0')).toBe(
      'redis://***:***@10.0.0.5:6379/0',
    );
    expect(redactRedisUrl('redis://:hunter2@h:1')).toBe('redis://:***@h:1');
    expect(redactRedisUrl('redis://h:1/0')).toBe('redis://h:1/0');
    expect(redactRedisUrl('::not a url hunter2')).not.toContain('hunter2');
  });
});
