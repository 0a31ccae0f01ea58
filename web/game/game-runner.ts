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
   * not know it (then `unknownGame` says which). Default: `game` when the ids match.
   */
  readonly find?: (id: string) => Game<S, I> | undefined;
  readonly client: SignalingClient;
  readonly network: PeerNetwork;
  /** Seeds the game on the host (guests take the host's state). */
  readonly seed?: number;
  /** Drives the loop; default: a Worker clock, which keeps its rate in a background tab. */
  readonly clock?: (onTick: (now: number) => void) => () => void;
}

/**
 * Puts a game on the network: on the host a HostLoop fed by one session per guest, on a guest
 * a GuestLoop on its session to the host, made for the game the host's first full snapshot
 * names; both driven by a clock that survives background tabs. The page gives it input and asks
 * it what to draw.
 */
export class GameRunner<S, I> {
  host: HostLoop<S, I> | undefined;
  guest: GuestLoop<S, I> | undefined;
  /** The game being played (on a guest: once the host's first full snapshot arrived). */
  game: Game<S, I> | undefined;
  /** A game id the host runs that this page does not know (an older page: reload). */
  unknownGame: string | undefined;
  private input: I | undefined;
  private readonly off: Unsubscribe[] = [];
  private readonly stopClock: () => void;
  private readonly changes = new Emitter<[]>();

  constructor(options: GameRunnerOptions<S, I>) {
    const { game, client, network } = options;
    const me = client.you;
    const lobby = client.lobby;
    if (me === undefined || lobby === undefined)
      throw new Error('join a lobby before starting the game');
    if (me === lobby.hostId) {
      if (game === undefined) throw new Error('the host needs a game to run');
      this.game = game;
      const host = new HostLoop({ game, seed: options.seed ?? 1, hostId: me });
      this.host = host;
      for (const { id } of network.info()) {
        const session = network.session(id);
        if (session) host.addGuest(id, session);
      }
      this.off.push(
        network.onPeer((id, session) => host.addGuest(id, session)),
        network.onPeerRemoved((id) => host.removeGuest(id)),
      );
    } else {
      const find = options.find ?? ((id: string) => (id === game?.id ? game : undefined));
      let offLink: Unsubscribe | undefined;
      const attach = (id: number) => {
        const session = network.session(id);
        if (id !== lobby.hostId || session === undefined) return;
        offLink?.();
        this.guest?.dispose();
        this.guest = undefined;
        offLink = session.onMessage((bytes) => this.onHostFrame(bytes, session, me, find));
      };
      attach(lobby.hostId);
      this.off.push(
        network.onPeer((id) => attach(id)),
        () => offLink?.(),
      );
    }
    this.stopClock = (options.clock ?? startWorkerClock)((now) => this.tick(now));
  }

  /** The game was found (or not) on a guest. */
  onChange(handler: () => void): Unsubscribe {
    return this.changes.on(handler);
  }

  /** This player's input from now on. */
  setInput(input: I): void {
    this.input = input;
  }

  /** The state to draw at `now`: the host's own, or the guest's predicted/interpolated view. */
  view(now: number): S | undefined {
    return this.host ? this.host.state : this.guest?.view(now);
  }

  dispose(): void {
    this.stopClock();
    for (const off of this.off) off();
    this.host?.dispose();
    this.guest?.dispose();
    this.changes.clear();
  }

  /**
   * Every frame from the host passes here first: a full snapshot of a game other than the one
   * running (the first one, or the host started another game) makes a GuestLoop for it.
   */
  private onHostFrame(
    bytes: Uint8Array,
    link: Link,
    me: number,
    find: (id: string) => Game<S, I> | undefined,
  ): void {
    if (bytes[0] !== EngineFrame.FULL) return;
    const frame = decodeEngineFrame(bytes);
    if (!frame.ok || frame.value.kind !== EngineFrame.FULL) return;
    const id = frame.value.game;
    if (this.game?.id === id && this.guest) return;
    this.guest?.dispose();
    this.guest = undefined;
    const game = find(id);
    this.game = game;
    this.input = undefined;
    this.unknownGame = game === undefined ? id : undefined;
    if (game !== undefined) this.guest = new GuestLoop({ game, me, link, first: bytes });
    this.changes.emit();
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
