import { Lobby } from './lobby.ts';

/** What a lobby on this server has beyond its `Lobby` state, as `LobbyEntry` is made with it. */
export type Hosting = Pick<
  LobbyEntry<unknown>,
  'hostKey' | 'generation' | 'owner' | 'baseUrl' | 'ownerAddress' | 'established'
>;

/**
 * A lobby on this server: its state, where its links point, and its members' connections. It
 * is the `Lobby` itself, extended, rather than an entry around one: one object per lobby
 * (memory per idle lobby).
 */
export class LobbyEntry<Member> extends Lobby<Member> {
  /** Only ever handed to the host, who proves ownership with it after a restart. */
  hostKey: string;
  /** How many times the host changed (0: the creator; the code is the hash of its key). */
  generation: number;
  /** For `generation` > 0: the server-signed proof that `hostKey` owns the lobby. */
  owner: string | undefined;
  /** Base of the share link: the public URL, or the origin the host connected through. */
  readonly baseUrl: string;
  /** Address that created (or re-claimed) it: lobbies are counted against it while open. */
  readonly ownerAddress: string;
  /**
   * Whether the lobby is in use: its host has shown life after its welcome (a pong or a
   * message), or a guest has joined. A lobby whose host drops before that ends after the
   * heartbeat timeout instead of the grace periods: a real page stays longer than one heartbeat
   * (or reloads faster than that); a flood of create-and-drop does not.
   */
  established: boolean;

  constructor(code: string, capacity: number, hostId: number, hosting: Hosting) {
    super(code, capacity, hostId);
    this.hostKey = hosting.hostKey;
    this.generation = hosting.generation;
    this.owner = hosting.owner;
    this.baseUrl = hosting.baseUrl;
    this.ownerAddress = hosting.ownerAddress;
    this.established = hosting.established;
  }

  /** The connection on seat `id`; none for a dropped or removed seat. */
  member(id: number): Member | undefined {
    return this.seats.get(id)?.member;
  }

  /** Whether anyone is connected. */
  get hasMembers(): boolean {
    return this.seats.some((seat) => seat.member !== undefined);
  }
}

/**
 * Where lobbies are found by code. The hub depends only on this interface, so a shared store
 * (e.g. Redis, with lobby ownership per node) can replace the in-memory map to let several
 * server nodes serve the same lobbies.
 */
export interface LobbyDirectory<Member> {
  get(code: string): LobbyEntry<Member> | undefined;
  add(entry: LobbyEntry<Member>): void;
  delete(code: string): void;
  readonly size: number;
  values(): IterableIterator<LobbyEntry<Member>>;
}

/** The directory of a single server node. */
export class MemoryDirectory<Member> implements LobbyDirectory<Member> {
  private readonly lobbies = new Map<string, LobbyEntry<Member>>();
  get(code: string) {
    return this.lobbies.get(code);
  }
  add(entry: LobbyEntry<Member>) {
    this.lobbies.set(entry.code, entry);
  }
  delete(code: string) {
    this.lobbies.delete(code);
  }
  get size() {
    return this.lobbies.size;
  }
  values() {
    return this.lobbies.values();
  }
}
