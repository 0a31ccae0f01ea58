/**
 * Counters the hub bumps on every message. Plain numbers, because the relay path runs them per
 * frame; `/metrics` reads them when scraped.
 */
export class Stats {
  messagesIn = 0;
  signals = 0;
  relayFrames = 0;
  /** Relay bytes of game data, and of session bookkeeping (pings, pongs, acks), apart. */
  relayGameBytes = 0;
  relayControlBytes = 0;
  relayDropped = 0;
  /** Lobbies handed to a guest because their host left or stayed away. */
  hostMigrations = 0;
  readonly rejected = new Map<string, number>();
  readonly closeCodes = new Map<number, number>();

  /** Counts a refused message or connection, by the reason a client is told. */
  reject(reason: string): void {
    this.rejected.set(reason, (this.rejected.get(reason) ?? 0) + 1);
  }

  closes(code: number): void {
    this.closeCodes.set(code, (this.closeCodes.get(code) ?? 0) + 1);
  }
}
