import type { LobbyView } from '../../shared/protocol/signaling.ts';
import { decodeEngineFrame, EngineFrame } from '../../shared/sim/engine-frames.ts';
import type { Game } from '../../shared/sim/game.ts';
import { Emitter, type Link, type Unsubscribe } from '../net/link.ts';
import type { PeerNetwork } from '../net/peer-network.ts';
import type { SignalingClient } from '../net/signaling-client.ts';
import { GuestLoop } from './guest-loop.ts';
import { HostLoop } from './host-loop.ts';
import { startWorkerClock } from './worker-clock.ts';

export interface GameRunnerOptions<S, I> {
  /** The game the host runs. Guests run the game the host's full snapshot names instead. */
  readonly game?: Game<S, I>;
  /**
   * Guests: the game for the id in the host's full snapshot, or undefined when this page does
   * not know it (then `unknownGame` says which); a promise while its module loads (the runner
   * starts on the newest full snapshot once it resolves; a rejection counts as unknown: the page
   * is older than the server's files). Default: `game` when the ids match.
   */
  readonly find?: (id: string) => Game<S, I> | undefined | Promise<Game<S, I> | undefined>;
  readonly client: SignalingClient;
  readonly network: PeerNetwork;
  /** Seeds the game on the host (guests take the host's state). */
  readonly seed?: number;
  /** The host carries on from this state (its tab reloaded mid-game) instead of a new game. */
  readonly initial?: S;
  /** Drives the loop; default: a Worker clock, which keeps its rate in a background tab. */
  readonly clock?: (onTick: (now: number) => void) => () => void;
}

/**
 * Puts a game on the network: on the host a HostLoop fed by one session per guest, on a guest
 * a GuestLoop on its session to the host, made for the game the host's first full snapshot
 * names; both driven by a clock that survives background tabs. The page gives it input and asks
 * it what to draw.
 *
 * It follows host migration: a guest the server makes the host carries on with a HostLoop from
 * the last authoritative state it received (never its prediction); the other guests switch to
 * the new host's first full snapshot, keeping their old view until it arrives; a host that was
 * replaced while away becomes a guest.
 */
export class GameRunner<S, I> {
  host: HostLoop<S, I> | undefined;
  guest: GuestLoop<S, I> | undefined;
  /** The game being played (on a guest: once the host's first full snapshot arrived). */
  game: Game<S, I> | undefined;
  /** A game id the host runs that this page does not know (an older page: reload). */
  unknownGame: string | undefined;
  /** Game loops this page started (a host change starts a new one): for diagnostics. */
  loops = 0;
  private pastSnapshots = 0;
  private input: I | undefined;
  private readonly off: Unsubscribe[] = [];
  private readonly stopClock: () => void;
  private readonly changes = new Emitter<[]>();
  private readonly me: number;
  private readonly network: PeerNetwork;
  private readonly client: SignalingClient;
  private readonly find: NonNullable<GameRunnerOptions<S, I>['find']>;
  /** A game whose module is loading, and the newest full snapshot of it meanwhile. */
  private loading: { readonly id: string; bytes: Uint8Array; link: Link } | undefined;
  private disposed = false;
  /** The host this runner follows. */
  private hostId: number;
  /** The link the guest loop runs on, and the runner's own listener on the host's link. */
  private guestLink: Link | undefined;
  private offLink: Unsubscribe | undefined;
  /**
   * The last state drawn, kept on screen while none arrives: a replaced host's until the new
   * host's first full snapshot, a guest's while its host's tab reloads.
   */
  private held: S | undefined;

  constructor(options: GameRunnerOptions<S, I>) {
    const { game, client, network } = options;
    const me = client.you;
    const lobby = client.lobby;
    if (me === undefined || lobby === undefined)
      throw new Error('join a lobby before starting the game');
    this.me = me;
    this.network = network;
    this.client = client;
    this.hostId = lobby.hostId;
    this.find = options.find ?? ((id: string) => (id === game?.id ? game : undefined));
    if (me === lobby.hostId) {
      if (game === undefined) throw new Error('the host needs a game to run');
      this.game = game;
      this.startHost(
        new HostLoop({
          game,
          seed: options.seed ?? 1,
          hostId: me,
          ...(options.initial === undefined ? {} : { initial: options.initial }),
        }),
      );
    } else {
      this.attach(lobby.hostId);
    }
    this.off.push(
      // The network follows the lobby before this runner hears of a new host: the role is read
      // from the lobby, not from the loop this runner has.
      network.onPeer((id, session) => {
        const hostId = client.lobby?.hostId;
        if (this.host && hostId === me) this.host.addGuest(id, session, this.isSpectator(id));
        else if (!this.host && id === hostId) this.attach(id);
      }),
      network.onPeerRemoved((id) => {
        if (client.lobby?.hostId === me) this.host?.removeGuest(id);
      }),
      client.onLobby((view) => this.follow(view)),
      () => this.offLink?.(),
    );
    this.stopClock = (options.clock ?? startWorkerClock)((now) => this.tick(now));
  }

  /** The game was found (or not) on a guest, or this player's role changed. */
  onChange(handler: () => void): Unsubscribe {
    return this.changes.on(handler);
  }

  /** Whether there is a game state to show (the host's, or one received from the host). */
  get playing(): boolean {
    return (
      this.host !== undefined || this.guest?.authoritative !== undefined || this.held !== undefined
    );
  }

  /** Snapshots received from hosts so far, across host changes (for diagnostics). */
  get snapshots(): number {
    return this.pastSnapshots + (this.guest?.stats.snapshots ?? 0);
  }

  /** This player's input from now on. */
  setInput(input: I): void {
    this.input = input;
  }

  /** The state to draw at `now`: the host's own, or the guest's predicted/interpolated view. */
  view(now: number): S | undefined {
    const view = this.host ? this.host.state : this.guest?.view(now);
    if (view !== undefined) this.held = view;
    return view ?? this.held;
  }

  dispose(): void {
    this.disposed = true;
    this.stopClock();
    for (const off of this.off) off();
    this.host?.dispose();
    this.guest?.dispose();
    this.changes.clear();
  }

  private startHost(host: HostLoop<S, I>): void {
    this.host = host;
    this.loops++;
    for (const { id } of this.network.info()) {
      const session = this.network.session(id);
      if (session) host.addGuest(id, session, this.isSpectator(id));
    }
  }

  /** Listens to the host's link; the guest loop switches on its first full snapshot. */
  private attach(id: number): void {
    const session = this.network.session(id);
    if (session === undefined) return;
    this.offLink?.();
    this.offLink = session.onMessage((bytes) => this.onHostFrame(bytes, session));
  }

  /** The lobby changed: a new host (host migration) changes this player's role. */
  private follow(lobby: LobbyView): void {
    if (lobby.hostId === this.hostId) return;
    this.hostId = lobby.hostId;
    if (lobby.hostId === this.me) this.promote(lobby);
    else if (this.host) this.demote();
    // A guest that stays a guest attached to the new host when the network made its link.
  }

  /**
   * This guest is the host now: the game goes on from the newest authoritative state, with the
   * same rules; players whose seats are gone leave it. Inputs in flight are dropped. With no
   * state yet (the game had not started here), there is nothing to carry on.
   */
  private promote(lobby: LobbyView): void {
    const game = this.game;
    let state = this.guest?.authoritative;
    this.offLink?.();
    this.offLink = undefined;
    this.dropGuest();
    if (game !== undefined && state !== undefined) {
      const seated = new Set(lobby.players.map((p) => p.id));
      for (const id of game.players(state))
        if (!seated.has(id)) state = game.removePlayer(state, id);
      this.startHost(new HostLoop({ game, seed: 0, hostId: this.me, initial: state }));
    }
    this.changes.emit();
  }

  /** Replaced while away: this page follows the new host, showing its last state meanwhile. */
  private demote(): void {
    this.held = this.host?.state;
    this.host?.dispose();
    this.host = undefined;
    this.attach(this.hostId);
    this.changes.emit();
  }

  /**
   * Every frame from the host passes here first: a full snapshot of a game other than the one
   * running (the first one, or the host started another game), or one from another link (a new
   * host), makes a GuestLoop for it.
   */
  private onHostFrame(bytes: Uint8Array, link: Link): void {
    if (bytes[0] !== EngineFrame.FULL) return;
    const frame = decodeEngineFrame(bytes);
    if (!frame.ok || frame.value.kind !== EngineFrame.FULL) return;
    const id = frame.value.game;
    if (this.game?.id === id && this.guest && this.guestLink === link) return;
    // Known to be missing (the page needs a reload): not looked for again on every full
    // snapshot the host sends meanwhile (that could fetch a missing chunk 30 times a second).
    if (this.unknownGame === id) return;
    const found = this.find(id);
    if (found instanceof Promise) {
      // Its module is on the way: keep the newest full snapshot to start from.
      if (this.loading?.id === id) {
        this.loading.bytes = bytes;
        this.loading.link = link;
        return;
      }
      const loading = { id, bytes, link };
      this.loading = loading;
      found
        .catch(() => undefined)
        .then((game) => {
          if (this.disposed || this.loading !== loading) return;
          this.loading = undefined;
          this.useGame(id, game, loading.bytes, loading.link);
        });
      return;
    }
    this.loading = undefined;
    this.useGame(id, found, bytes, link);
  }

  /** Starts a GuestLoop for `game` (or records `id` as unknown) from a full snapshot. */
  private useGame(id: string, game: Game<S, I> | undefined, bytes: Uint8Array, link: Link): void {
    this.dropGuest();
    this.held = undefined;
    // The same game under a new host: the player keeps steering as it was.
    if (game?.id !== this.game?.id) this.input = undefined;
    this.game = game;
    this.unknownGame = game === undefined ? id : undefined;
    if (game !== undefined) {
      this.guest = new GuestLoop({
        game,
        me: this.me,
        link,
        first: bytes,
        spectator: this.isSpectator(this.me),
      });
      this.guestLink = link;
      this.loops++;
    }
    this.changes.emit();
  }

  /** Spectators watch: no player in the game, no input. */
  private isSpectator(id: number): boolean {
    return this.client.lobby?.players.find((p) => p.id === id)?.spectator === true;
  }

  private dropGuest(): void {
    this.pastSnapshots += this.guest?.stats.snapshots ?? 0;
    this.guest?.dispose();
    this.guest = undefined;
    this.guestLink = undefined;
  }

  private tick(now: number): void {
    const game = this.game;
    if (game === undefined) return;
    const input = this.input ?? game.noInput;
    if (this.host) {
      this.host.setLocalInput(input);
      this.host.advance(now);
    } else {
      this.guest?.advance(now, input);
    }
  }
}
