import { err, ok, type Result } from '../shared/result.ts';

/**
 * A small, strict STUN codec (RFC 8489) for the one thing the built-in server does: answer
 * Binding requests with the client's address. Pure functions over bytes, no I/O; decoding never
 * throws, whatever arrives, and says why it refused a datagram.
 *
 * Our own rather than a library's: the npm codecs (`stun`, `@msimerson/stun`) throw on bad
 * input, accept a length field that lies and trailing junk, check FINGERPRINT on a re-encoding
 * instead of the bytes received (so the RFC 5769 sample request fails it), and cost 10–20 µs per
 * message through generated code; this is a hundred lines with the RFC 5769 vectors as tests.
 */

export const STUN_HEADER_BYTES = 20;
export const MAGIC_COOKIE = 0x2112a442;
const FINGERPRINT_XOR = 0x5354554e;

export const MessageType = {
  BINDING_REQUEST: 0x0001,
  BINDING_SUCCESS: 0x0101,
} as const;

export const Attribute = {
  MAPPED_ADDRESS: 0x0001,
  USERNAME: 0x0006,
  MESSAGE_INTEGRITY: 0x0008,
  REALM: 0x0014,
  NONCE: 0x0015,
  MESSAGE_INTEGRITY_SHA256: 0x001c,
  PASSWORD_ALGORITHM: 0x001d,
  USERHASH: 0x001e,
  XOR_MAPPED_ADDRESS: 0x0020,
  PRIORITY: 0x0024,
  USE_CANDIDATE: 0x0025,
  FINGERPRINT: 0x8028,
} as const;

/**
 * Comprehension-required attributes (type below 0x8000) a Binding request may carry that we can
 * answer without understanding them: authentication we do not ask for (RFC 8489 lets a server
 * without credentials answer anyway) and ICE's check attributes. Any other one would need a 420
 * error listing it; we stay silent instead, so nothing a client sends is ever echoed back.
 */
const TOLERATED_REQUIRED = new Set<number>([
  Attribute.USERNAME,
  Attribute.MESSAGE_INTEGRITY,
  Attribute.REALM,
  Attribute.NONCE,
  Attribute.MESSAGE_INTEGRITY_SHA256,
  Attribute.PASSWORD_ALGORITHM,
  Attribute.USERHASH,
  Attribute.PRIORITY,
  Attribute.USE_CANDIDATE,
]);

/** What a client may find in a Binding success response from any server (coturn sends MAPPED-ADDRESS). */
const RESPONSE_REQUIRED = new Set<number>([
  Attribute.MAPPED_ADDRESS,
  Attribute.MESSAGE_INTEGRITY,
  Attribute.MESSAGE_INTEGRITY_SHA256,
]);

/** Why a datagram got no answer; each is counted under this name. */
export type StunIgnoreReason =
  /** Too short, wrong leading bits, no magic cookie, or a length that does not fit: not STUN. */
  | 'not_stun'
  /** STUN, but another method or class (a response, an indication, an Allocate…). */
  | 'not_binding_request'
  /** Attributes that overrun the message, or in an order the RFC forbids. */
  | 'malformed'
  /** A FINGERPRINT that does not match the bytes. */
  | 'bad_fingerprint'
  /** A comprehension-required attribute we do not know (RFC 8489 would want a 420 error). */
  | 'unknown_attribute';

export interface BindingRequest {
  /** The request's 96-bit transaction id (a view into the datagram). */
  readonly transactionId: Uint8Array;
  /** Whether it carried a valid FINGERPRINT; the answer carries one exactly then. */
  readonly fingerprint: boolean;
}

/** A transport address: 4 or 16 address bytes and a port. */
export interface MappedAddress {
  readonly ip: Uint8Array;
  readonly port: number;
}

/** Decodes a datagram that should be a Binding request. Never throws. */
export function decodeBindingRequest(bytes: Uint8Array): Result<BindingRequest, StunIgnoreReason> {
  const header = readHeader(bytes);
  if (!header.ok) return header;
  if (header.value !== MessageType.BINDING_REQUEST) return err('not_binding_request');
  const attributes = walkAttributes(bytes, TOLERATED_REQUIRED);
  if (!attributes.ok) return attributes;
  return ok({
    transactionId: bytes.subarray(8, STUN_HEADER_BYTES),
    fingerprint: attributes.value.fingerprint,
  });
}

/**
 * The Binding success response: XOR-MAPPED-ADDRESS, then FINGERPRINT when the request had one.
 * Nothing else (no SOFTWARE, no MAPPED-ADDRESS), so the answer stays small: 32 bytes for an IPv4
 * client, 44 for IPv6, 8 more with FINGERPRINT.
 */
export function encodeBindingSuccess(request: BindingRequest, mapped: MappedAddress): Uint8Array {
  const family = mapped.ip.length === 4 ? 0x01 : 0x02;
  const addressBytes = 4 + mapped.ip.length;
  const length = 4 + addressBytes + (request.fingerprint ? 8 : 0);
  const out = new Uint8Array(STUN_HEADER_BYTES + length);
  const view = new DataView(out.buffer);
  view.setUint16(0, MessageType.BINDING_SUCCESS);
  view.setUint16(2, length);
  view.setUint32(4, MAGIC_COOKIE);
  out.set(request.transactionId, 8);
  let at = STUN_HEADER_BYTES;
  view.setUint16(at, Attribute.XOR_MAPPED_ADDRESS);
  view.setUint16(at + 2, addressBytes);
  view.setUint8(at + 5, family);
  view.setUint16(at + 6, mapped.port ^ (MAGIC_COOKIE >>> 16));
  // The address is XORed with the cookie and (for IPv6) the transaction id: bytes 4..19.
  for (let i = 0; i < mapped.ip.length; i++)
    out[at + 8 + i] = (mapped.ip[i] ?? 0) ^ (out[4 + i] ?? 0);
  at += 4 + addressBytes;
  if (request.fingerprint) {
    view.setUint16(at, Attribute.FINGERPRINT);
    view.setUint16(at + 2, 4);
    view.setUint32(at + 4, fingerprintOf(out.subarray(0, at)));
  }
  return out;
}

/** What a client reads from a Binding success response. */
export interface BindingSuccess {
  readonly transactionId: Uint8Array;
  readonly mapped: MappedAddress;
  readonly fingerprint: boolean;
}

/**
 * Decodes a Binding success response (the client side, for tests and the benchmark): its
 * XOR-MAPPED-ADDRESS, and whether a FINGERPRINT was present and right. Never throws.
 */
export function decodeBindingSuccess(
  bytes: Uint8Array,
): Result<BindingSuccess, StunIgnoreReason | 'not_binding_success' | 'no_address'> {
  const header = readHeader(bytes);
  if (!header.ok) return header;
  if (header.value !== MessageType.BINDING_SUCCESS) return err('not_binding_success');
  const attributes = walkAttributes(bytes, RESPONSE_REQUIRED);
  if (!attributes.ok) return attributes;
  const at = attributes.value.xorMappedAddress;
  if (at === undefined) return err('no_address');
  const length = u16(bytes, at + 2);
  const family = bytes[at + 5];
  const size = family === 0x01 ? 4 : family === 0x02 ? 16 : 0;
  if (size === 0 || length !== 4 + size) return err('malformed');
  const ip = new Uint8Array(size);
  for (let i = 0; i < size; i++) ip[i] = (bytes[at + 8 + i] ?? 0) ^ (bytes[4 + i] ?? 0);
  return ok({
    transactionId: bytes.subarray(8, STUN_HEADER_BYTES),
    mapped: { ip, port: u16(bytes, at + 6) ^ (MAGIC_COOKIE >>> 16) },
    fingerprint: attributes.value.fingerprint,
  });
}

/** A Binding request with a random-looking transaction id, optionally with FINGERPRINT. */
export function encodeBindingRequest(transactionId: Uint8Array, fingerprint = true): Uint8Array {
  const out = new Uint8Array(STUN_HEADER_BYTES + (fingerprint ? 8 : 0));
  const view = new DataView(out.buffer);
  view.setUint16(0, MessageType.BINDING_REQUEST);
  view.setUint16(2, fingerprint ? 8 : 0);
  view.setUint32(4, MAGIC_COOKIE);
  out.set(transactionId.subarray(0, 12), 8);
  if (fingerprint) {
    view.setUint16(20, Attribute.FINGERPRINT);
    view.setUint16(22, 4);
    view.setUint32(24, fingerprintOf(out.subarray(0, 20)));
  }
  return out;
}

/** The message type, once the header is sound: size, leading bits, cookie and length. */
function readHeader(bytes: Uint8Array): Result<number, StunIgnoreReason> {
  if (bytes.length < STUN_HEADER_BYTES) return err('not_stun');
  const type = u16(bytes, 0);
  const length = u16(bytes, 2);
  if (type & 0xc000 || u32(bytes, 4) !== MAGIC_COOKIE) return err('not_stun');
  // The length counts the attributes exactly: a datagram with bytes left over is not STUN.
  if (length % 4 !== 0 || STUN_HEADER_BYTES + length !== bytes.length) return err('not_stun');
  return ok(type);
}

interface Walked {
  readonly fingerprint: boolean;
  /** Offset of the XOR-MAPPED-ADDRESS attribute header, if any. */
  readonly xorMappedAddress: number | undefined;
}

/**
 * Checks every attribute fits (values padded to 4 bytes, RFC 8489 §14), that only FINGERPRINT
 * follows a MESSAGE-INTEGRITY and nothing follows FINGERPRINT, that FINGERPRINT matches, and
 * that no unknown comprehension-required attribute is present.
 */
function walkAttributes(
  bytes: Uint8Array,
  tolerated: ReadonlySet<number>,
): Result<Walked, StunIgnoreReason> {
  let at = STUN_HEADER_BYTES;
  let integrity = false;
  let xorMappedAddress: number | undefined;
  while (at < bytes.length) {
    if (at + 4 > bytes.length) return err('malformed');
    const type = u16(bytes, at);
    const length = u16(bytes, at + 2);
    const next = at + 4 + Math.ceil(length / 4) * 4;
    if (next > bytes.length) return err('malformed');
    if (type === Attribute.FINGERPRINT) {
      if (length !== 4 || next !== bytes.length) return err('malformed');
      return u32(bytes, at + 4) === fingerprintOf(bytes.subarray(0, at))
        ? ok({ fingerprint: true, xorMappedAddress })
        : err('bad_fingerprint');
    }
    if (integrity) return err('malformed');
    if (type === Attribute.MESSAGE_INTEGRITY || type === Attribute.MESSAGE_INTEGRITY_SHA256) {
      integrity = true;
    } else if (type === Attribute.XOR_MAPPED_ADDRESS) {
      xorMappedAddress ??= at;
    } else if (type < 0x8000 && !tolerated.has(type)) {
      return err('unknown_attribute');
    }
    at = next;
  }
  return ok({ fingerprint: false, xorMappedAddress });
}

/** Big-endian reads; callers have checked the bounds (a DataView per datagram costs more). */
function u16(bytes: Uint8Array, at: number): number {
  return ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0);
}
function u32(bytes: Uint8Array, at: number): number {
  return ((u16(bytes, at) << 16) | u16(bytes, at + 2)) >>> 0;
}

/** FINGERPRINT's value: CRC-32 of the message so far, XORed with 0x5354554e (RFC 8489 §14.7). */
export function fingerprintOf(bytes: Uint8Array): number {
  return (crc32(bytes) ^ FINGERPRINT_XOR) >>> 0;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO-HDLC, as zlib), which Node 20 does not expose (zlib.crc32 came in Node 22). */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) {
    crc = (CRC_TABLE[(crc ^ (bytes[i] ?? 0)) & 0xff] ?? 0) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * The bytes of an IP address as `dgram` reports it: dotted IPv4, IPv6 text (a `%zone` is
 * dropped), and IPv4-mapped IPv6 (`::ffff:1.2.3.4`, what a dual-stack socket reports for an
 * IPv4 client) as the 4 IPv4 bytes, so that client sees its own IPv4 address. `undefined` for
 * anything else.
 */
export function ipBytes(text: string): Uint8Array | undefined {
  const v4 = parseIPv4(text);
  if (v4) return v4;
  const v6 = parseIPv6(text.replace(/%.*$/, ''));
  if (v6 === undefined) return undefined;
  const mapped = v6.subarray(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff;
  return mapped ? v6.slice(12) : v6;
}

/** Dotted IPv4, strictly (no leading zeros, 0–255), by hand: it runs for every datagram. */
function parseIPv4(text: string): Uint8Array | undefined {
  const out = new Uint8Array(4);
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || part > 3) return undefined;
      out[part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && value === 0) return undefined;
      value = value * 10 + (c - 0x30);
      if (++digits > 3 || value > 255) return undefined;
    } else {
      return undefined;
    }
  }
  return part === 4 ? out : undefined;
}

function parseIPv6(text: string): Uint8Array | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (half: string | undefined): number[] | undefined => {
    if (half === undefined || half === '') return [];
    const out: number[] = [];
    const parts = half.split(':');
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] ?? '';
      if (i === parts.length - 1 && part.includes('.')) {
        const v4 = parseIPv4(part);
        if (!v4) return undefined;
        out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
        out.push(Number.parseInt(part, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...new Array<number>(halves.length === 1 ? 0 : missing).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}
