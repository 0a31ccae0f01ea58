/**
 * Byte writer and reader for game codecs: little-endian fixed-width integers and LEB128
 * varints (unsigned, and zigzag for signed). Varints use arithmetic, not 32-bit bit operations,
 * so values up to 2^35 survive.
 */

/** A varint never takes more than 5 bytes (values below 2^35). */
const MAX_VARINT_BYTES = 5;

export class ByteWriter {
  private buffer = new Uint8Array(64);
  private length = 0;

  u8(v: number): void {
    this.reserve(1);
    this.buffer[this.length++] = v & 0xff;
  }

  u16(v: number): void {
    this.u8(v);
    this.u8(v >>> 8);
  }

  u32(v: number): void {
    this.u16(v & 0xffff);
    this.u16(v >>> 16);
  }

  /** A non-negative integer below 2^35. */
  varint(v: number): void {
    let rest = v;
    while (rest >= 0x80) {
      this.u8((rest % 0x80) | 0x80);
      rest = Math.floor(rest / 0x80);
    }
    this.u8(rest);
  }

  /** A signed integer, |v| below 2^34: 0, −1, 1, −2, … map to 0, 1, 2, 3, … */
  zigzag(v: number): void {
    this.varint(v >= 0 ? 2 * v : -2 * v - 1);
  }

  bytes(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + n));
    grown.set(this.buffer);
    this.buffer = grown;
  }
}

/**
 * Reads untrusted bytes. The first problem is kept in `error` and every later read returns 0,
 * so a decoder reads a whole section and checks once; loops must also stop on `error`.
 */
export class ByteReader {
  error: string | undefined;
  private offset = 0;

  constructor(private readonly data: Uint8Array) {}

  get remaining(): number {
    return this.data.length - this.offset;
  }

  u8(): number {
    if (this.error !== undefined) return 0;
    if (this.offset >= this.data.length) {
      this.fail('truncated');
      return 0;
    }
    return this.data[this.offset++] ?? 0;
  }

  u16(): number {
    return this.u8() | (this.u8() << 8);
  }

  u32(): number {
    return (this.u16() + this.u16() * 0x1_0000) >>> 0;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      const b = this.u8();
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return value;
      scale *= 0x80;
    }
    this.fail('varint too long');
    return 0;
  }

  zigzag(): number {
    const z = this.varint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  /** A count of items each at least `minBytes` long: refuses counts the bytes cannot hold. */
  count(max: number, minBytes: number): number {
    const n = this.varint();
    if (n > max) this.fail(`count ${n} over ${max}`);
    else if (n * minBytes > this.remaining) this.fail('truncated');
    return this.error === undefined ? n : 0;
  }

  fail(error: string): void {
    this.error ??= error;
  }

  /** Fails unless every byte was read. */
  end(): void {
    if (this.error === undefined && this.offset !== this.data.length) this.fail('trailing bytes');
  }
}
