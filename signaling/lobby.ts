import type { LinkKind, LobbyView, PlayerView } from '../shared/protocol/signaling.ts';
import { err, ok, type Result } from '../shared/result.ts';
import { IdMap } from './id-map.ts';
import { cleanName, confusable } from './names.ts';

/** Ids go out in 16-bit relay headers; 0 is never a player. */
export const MAX_SEAT_ID = 0xffff;
/**
 * Once every id has been given out, ids of removed seats are given out again, but only this
 * long after their seat went: by then every member has long seen the lobby without it, and
 * nothing in flight (a signal, a relay frame) can still reach the new player by mistake.
 */
export const ID_REUSE_DELAY_MS = 60_000;

/**
 * One seat of a lobby. It outlives its connection for the grace period. `Member` is whoever is
 * connected on it: the hub's connection, opaque here.
 */
export interface Seat<Member = unknown> {
  readonly id: number;
  name: string;
  /** Hash of the seat's current resume token (the token itself is never stored). */
  tag: string;
  connected: boolean;
  /** When the connection dropped; meaningful only while `connected` is false. */
  droppedAt: number;
  /** How this guest reaches the host, as the host last reported; unknown while disconnected. */
  link?: LinkKind | undefined;
  /** A spectator: watches, never plays, never hosts, and does not count against the capacity. */
  spectator?: true;
  /**
   * The connection on this seat, set and cleared by the hub. Kept on the seat rather than in a
   * map of the lobby's own: one map fewer per lobby (memory per idle lobby).
   */
  member: Member | undefined;
}

export type SeatRefusal =
  | 'full'
  | 'locked'
  | 'no_spectators'
  | 'spectators_full'
  | 'name_invalid'
  | 'name_confusable'
  | 'ids_exhausted';

/** Who asks for a place: a player (a seat) or a spectator, up to `max` of them. */
export type Entrant =
  | { readonly spectator: false }
  | { readonly spectator: true; readonly max: number };
const PLAYER: Entrant = { spectator: false };

/**
 * The state of one lobby, with no I/O: seats, host, lock and capacity. The hub wires it to
 * sockets; everything here is tested without a server.
 */
export class Lobby<Member = unknown> {
  /** Players and spectators by id (ids share one space: they name relay peers too). */
  readonly seats = new IdMap<Seat<Member>>();
  locked = false;
  /** Whether the host lets people watch. */
  spectating = true;
  private nextId = 1;
  /**
   * Ids of removed seats with when they went, oldest first (used once `nextId` runs out); made
   * on the first removal, since most lobbies never remove a seat (memory per idle lobby).
   */
  private freed: { id: number; at: number }[] | undefined;

  constructor(
    readonly code: string,
    public capacity: number,
    public hostId = 1,
  ) {}

  /**
   * A new seat for a player who joins (or for the host who creates the lobby). A name equal to
   * another player's (without regard to case) gets a number ("Ann 2"); one that only looks like
   * another player's ("Аnn" with a Cyrillic А) is refused. A spectator may watch a locked or
   * full lobby, while the host allows it and fewer than `max` watch.
   */
  addSeat(
    rawName: string,
    tag: string,
    nameMaxLength: number,
    now = 0,
    entrant: Entrant = PLAYER,
  ): Result<Seat<Member>, SeatRefusal> {
    if (entrant.spectator) {
      if (!this.spectating || entrant.max === 0) return err('no_spectators');
      if (this.spectatorCount >= entrant.max) return err('spectators_full');
    } else {
      if (this.locked) return err('locked');
      if (this.playerCount >= this.capacity) return err('full');
    }
    const cleaned = cleanName(rawName, nameMaxLength);
    if (!cleaned.ok) return err('name_invalid');
    const taken = this.seats.values().map((s) => s.name);
    const lower = cleaned.value.toLowerCase();
    const same = taken.some((t) => t.toLowerCase() === lower);
    if (!same && taken.some((t) => confusable(t, cleaned.value))) return err('name_confusable');
    const id = this.newId(now);
    if (id === undefined) return err('ids_exhausted');
    const seat: Seat<Member> = {
      id,
      name: same ? uniqueName(cleaned.value, taken, nameMaxLength) : cleaned.value,
      tag,
      connected: true,
      droppedAt: 0,
      member: undefined,
      ...(entrant.spectator ? { spectator: true as const } : {}),
    };
    this.seats.set(seat.id, seat);
    return ok(seat);
  }

  get playerCount(): number {
    let n = 0;
    for (const seat of this.seats.values()) if (!seat.spectator) n++;
    return n;
  }
  get spectatorCount(): number {
    return this.seats.size - this.playerCount;
  }

  /** The spectators' ids (to send them away when the host turns watching off). */
  spectatorIds(): number[] {
    return this.seats
      .values()
      .filter((s) => s.spectator)
      .map((s) => s.id);
  }

  /** Removes a seat (left, kicked, or gone past the grace period); its id rests before reuse. */
  removeSeat(id: number, now: number): void {
    if (!this.seats.delete(id)) return;
    this.freed ??= [];
    this.freed.push({ id, at: now });
  }

  private newId(now: number): number | undefined {
    if (this.nextId <= MAX_SEAT_ID) return this.nextId++;
    for (;;) {
      const oldest = this.freed?.[0];
      if (oldest === undefined || now - oldest.at < ID_REUSE_DELAY_MS) return undefined;
      this.freed?.shift();
      // A restored seat may have taken it meanwhile.
      if (!this.seats.has(oldest.id)) return oldest.id;
    }
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
    spectator = false,
  ): Seat<Member> | undefined {
    if (this.seats.has(id)) return undefined;
    if (!spectator && this.playerCount >= this.capacity) return undefined;
    const cleaned = cleanName(rawName, nameMaxLength);
    if (!cleaned.ok) return undefined;
    const seat: Seat<Member> = {
      id,
      name: uniqueName(
        cleaned.value,
        this.seats.values().map((s) => s.name),
        nameMaxLength,
      ),
      tag,
      connected: false,
      droppedAt: now,
      member: undefined,
      ...(spectator ? { spectator: true as const } : {}),
    };
    this.seats.set(id, seat);
    this.nextId = Math.max(this.nextId, id + 1);
    return seat;
  }

  seatByTag(tag: string): Seat<Member> | undefined {
    for (const seat of this.seats.values()) if (seat.tag === tag) return seat;
    return undefined;
  }

  /** Seats whose players have been gone longer than the grace period. */
  expiredSeats(now: number, graceMs: number): Seat<Member>[] {
    return this.seats.values().filter((s) => !s.connected && now - s.droppedAt >= graceMs);
  }

  /**
   * The guest who takes over when the host goes (host migration): among connected guests, the
   * one with the best link to the old host as it last reported (direct, then TURN, then the
   * relay, then not reported): it has shown it can hold WebRTC links; ties go to the lowest id,
   * i.e. the guest seated longest (ids are never reused). Spectators never host. Undefined when
   * no guest is connected.
   */
  successor(): Seat<Member> | undefined {
    let best: Seat<Member> | undefined;
    for (const seat of this.seats.values()) {
      if (seat.id === this.hostId || !seat.connected || seat.spectator) continue;
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
    const players: PlayerView[] = this.seats.values().map((s) => ({
      id: s.id,
      name: s.name,
      connected: s.connected,
      ...(s.link === undefined ? {} : { link: s.link }),
      ...(forHost ? { tag: s.tag } : {}),
      ...(s.spectator ? { spectator: true as const } : {}),
    }));
    // Players first, then spectators, each in seating order.
    players.sort((a, b) => Number(a.spectator ?? false) - Number(b.spectator ?? false));
    return {
      code: this.code,
      link,
      hostId: this.hostId,
      locked: this.locked,
      capacity: this.capacity,
      spectating: this.spectating,
      players,
    };
  }
}

/** A cleaned display name (see `cleanName`), or undefined when it is refused. */
export function normalizeName(raw: string, maxLength: number): string | undefined {
  const cleaned = cleanName(raw, maxLength);
  return cleaned.ok ? cleaned.value : undefined;
}

const LINK_RANK: Record<LinkKind, number> = { direct: 0, turn: 1, relay: 2 };
const linkRank = (link: LinkKind | undefined): number => (link === undefined ? 3 : LINK_RANK[link]);

/**
 * `name`, or `name 2`, `name 3`… — the first one that neither equals (without regard to case)
 * nor looks like one of `taken`.
 */
export function uniqueName(name: string, taken: readonly string[], maxLength: number): string {
  const free = (candidate: string) =>
    !taken.some((t) => t.toLowerCase() === candidate.toLowerCase() || confusable(t, candidate));
  if (free(name)) return name;
  for (let n = 2; ; n++) {
    const suffix = ` ${n}`;
    const base = Array.from(name)
      .slice(0, Math.max(1, maxLength - suffix.length))
      .join('')
      .trim();
    const candidate = `${base}${suffix}`;
    if (free(candidate)) return candidate;
  }
}
