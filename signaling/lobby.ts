import type { LinkKind, LobbyView, PlayerView } from '../shared/protocol/signaling.ts';
import { err, ok, type Result } from '../shared/result.ts';

/** Ids go out in 16-bit relay headers; 0 is never a player. */
export const MAX_SEAT_ID = 0xffff;

/** One seat of a lobby. It outlives its connection for the grace period. */
export interface Seat {
  readonly id: number;
  name: string;
  /** Hash of the seat's current resume token (the token itself is never stored). */
  tag: string;
  connected: boolean;
  /** When the connection dropped; meaningful only while `connected` is false. */
  droppedAt: number;
  /** How this guest reaches the host, as the host last reported; unknown while disconnected. */
  link?: LinkKind | undefined;
}

export type SeatRefusal = 'full' | 'locked' | 'name_invalid' | 'ids_exhausted';

/**
 * The state of one lobby, with no I/O: seats, host, lock and capacity. The hub wires it to
 * sockets; everything here is tested without a server.
 */
export class Lobby {
  readonly seats = new Map<number, Seat>();
  locked = false;
  private nextId = 1;

  constructor(
    readonly code: string,
    public capacity: number,
    public hostId = 1,
  ) {}

  /** A new seat for a player who joins (or for the host who creates the lobby). */
  addSeat(rawName: string, tag: string, nameMaxLength: number): Result<Seat, SeatRefusal> {
    if (this.locked) return err('locked');
    if (this.seats.size >= this.capacity) return err('full');
    if (this.nextId > MAX_SEAT_ID) return err('ids_exhausted');
    const name = normalizeName(rawName, nameMaxLength);
    if (name === undefined) return err('name_invalid');
    const seat: Seat = {
      id: this.nextId++,
      name: uniqueName(name, this.takenNames(), nameMaxLength),
      tag,
      connected: true,
      droppedAt: 0,
    };
    this.seats.set(seat.id, seat);
    return ok(seat);
  }

  /**
   * Puts back a seat the host remembers, after a restart. It stays disconnected until its
   * player resumes with the token whose hash is `tag`, or the grace period ends.
   */
  restoreSeat(
    id: number,
    rawName: string,
    tag: string,
    nameMaxLength: number,
    now: number,
  ): Seat | undefined {
    if (this.seats.has(id) || this.seats.size >= this.capacity) return undefined;
    const name = normalizeName(rawName, nameMaxLength);
    if (name === undefined) return undefined;
    const seat: Seat = {
      id,
      name: uniqueName(name, this.takenNames(), nameMaxLength),
      tag,
      connected: false,
      droppedAt: now,
    };
    this.seats.set(id, seat);
    this.nextId = Math.max(this.nextId, id + 1);
    return seat;
  }

  seatByTag(tag: string): Seat | undefined {
    for (const seat of this.seats.values()) if (seat.tag === tag) return seat;
    return undefined;
  }

  /** Seats whose players have been gone longer than the grace period. */
  expiredSeats(now: number, graceMs: number): Seat[] {
    return [...this.seats.values()].filter((s) => !s.connected && now - s.droppedAt >= graceMs);
  }

  /**
   * The guest who takes over when the host goes (host migration): among connected guests, the
   * one with the best link to the old host as it last reported (direct, then TURN, then the
   * relay, then not reported): it has shown it can hold WebRTC links; ties go to the lowest id,
   * i.e. the guest seated longest (ids are never reused). Undefined when no guest is connected.
   */
  successor(): Seat | undefined {
    let best: Seat | undefined;
    for (const seat of this.seats.values()) {
      if (seat.id === this.hostId || !seat.connected) continue;
      if (
        best === undefined ||
        linkRank(seat.link) < linkRank(best.link) ||
        (linkRank(seat.link) === linkRank(best.link) && seat.id < best.id)
      )
        best = seat;
    }
    return best;
  }

  /** The lobby as its members see it; only the host's copy carries the seats' token tags. */
  view(link: string, forHost: boolean): LobbyView {
    const players: PlayerView[] = [...this.seats.values()].map((s) => ({
      id: s.id,
      name: s.name,
      connected: s.connected,
      ...(s.link === undefined ? {} : { link: s.link }),
      ...(forHost ? { tag: s.tag } : {}),
    }));
    return {
      code: this.code,
      link,
      hostId: this.hostId,
      locked: this.locked,
      capacity: this.capacity,
      players,
    };
  }

  private takenNames(): Set<string> {
    return new Set([...this.seats.values()].map((s) => s.name.toLowerCase()));
  }
}

const LINK_RANK: Record<LinkKind, number> = { direct: 0, turn: 1, relay: 2 };
const linkRank = (link: LinkKind | undefined): number => (link === undefined ? 3 : LINK_RANK[link]);

/**
 * Cleans a display name: Unicode-normalized, control and invisible format characters removed,
 * runs of white space collapsed, trimmed, cut to `maxLength` characters. Undefined when
 * nothing is left.
 */
export function normalizeName(raw: string, maxLength: number): string | undefined {
  const cleaned = raw
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '')
    .replace(/\s+/gu, ' ')
    .trim();
  const name = Array.from(cleaned).slice(0, maxLength).join('').trim();
  return name === '' ? undefined : name;
}

/** `name`, or `name 2`, `name 3`… — the first one not taken (compared without case). */
export function uniqueName(name: string, taken: ReadonlySet<string>, maxLength: number): string {
  if (!taken.has(name.toLowerCase())) return name;
  for (let n = 2; ; n++) {
    const suffix = ` ${n}`;
    const base = Array.from(name)
      .slice(0, Math.max(1, maxLength - suffix.length))
      .join('')
      .trim();
    const candidate = `${base}${suffix}`;
    if (!taken.has(candidate.toLowerCase())) return candidate;
  }
}
