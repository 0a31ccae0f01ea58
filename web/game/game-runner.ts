import type { Game } from '../../shared/sim/game.ts';
import type { Unsubscribe } from '../net/link.ts';
import type { PeerNetwork } from '../net/peer-network.ts';
import type { SignalingClient } from '../net/signaling-client.ts';
import { GuestLoop } from './guest-loop.ts';
import { HostLoop } from './host-loop.ts';
import { startWorkerClock } from './worker-clock.ts';

export interface GameRunnerOptions<S, I> {
  readonly game: Game<S, I>;
  readonly client: SignalingClient;
  readonly network: PeerNetwork;
  /** Seeds the game on the host (guests take the host's state). */
  readonly seed?: number;
  /** Drives the loop; default: a Worker clock, which keeps its rate in a background tab. */
  readonly clock?: (onTick: (now: number) => void) => () => void;
}

/**
 * Puts a game on the network: on the host a HostLoop fed by one session per guest, on a guest
 * a GuestLoop on its session to the host; both driven by a clock that survives background tabs.
 * The page gives it input and asks it what to draw.
 */
export class GameRunner<S, I> {
  host: HostLoop<S, I> | undefined;
  guest: GuestLoop<S, I> | undefined;
  private input: I;
  private readonly off: Unsubscribe[] = [];
  private readonly stopClock: () => void;

  constructor(options: GameRunnerOptions<S, I>) {
    const { game, client, network } = options;
    const me = client.you;
    const lobby = client.lobby;
    if (me === undefined || lobby === undefined)
      throw new Error('join a lobby before starting the game');
    this.input = game.noInput;
    if (me === lobby.hostId) {
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
      const attach = (id: number) => {
        const session = network.session(id);
        if (id !== lobby.hostId || session === undefined) return;
        this.guest?.dispose();
        this.guest = new GuestLoop({ game, me, link: session });
      };
      attach(lobby.hostId);
      this.off.push(network.onPeer((id) => attach(id)));
    }
    this.stopClock = (options.clock ?? startWorkerClock)((now) => this.tick(now));
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
  }

  private tick(now: number): void {
    if (this.host) {
      this.host.setLocalInput(this.input);
      this.host.advance(now);
    } else {
      this.guest?.advance(now, this.input);
    }
  }
}
