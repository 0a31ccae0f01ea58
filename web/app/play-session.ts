import { CloseCode } from '../../shared/protocol/close-codes.ts';
import type { JoinRefusal, LobbyView } from '../../shared/protocol/signaling.ts';
import { decodeEngineFrame, EngineFrame, encodeChoice } from '../../shared/sim/engine-frames.ts';
import { ChatChannel } from '../chat/chat-channel.ts';
import { GameRunner } from '../game/game-runner.ts';
import type { AnyGameModule, GameSettings } from '../games/game-module.ts';
import { type GameRegistry, games } from '../games/registry.ts';
import { DirectTransport } from '../net/direct-transport.ts';
import { Emitter, type Unsubscribe } from '../net/link.ts';
import { type PeerInfo, PeerNetwork } from '../net/peer-network.ts';
import type { Session } from '../net/session.ts';
import {
  type Hello,
  type SavedSeat,
  SignalingClient,
  type SignalingState,
} from '../net/signaling-client.ts';
import type { SavedGame } from './storage.ts';

/** A game and its settings, as picked by a host. */
export interface GamePick {
  readonly game: string;
  readonly settings: GameSettings;
}

/** Problems that are only a kind, with nothing more to say. */
type PlainProblem =
  | 'not-found'
  | 'full'
  | 'locked'
  | 'kicked'
  | 'host-left'
  | 'version'
  | 'lobby-gone'
  | 'no-spectators'
  | 'spectators-full'
  | 'spectating-off';

/** Something that stops play or needs the player's attention, with what to offer next. */
export type Problem =
  | { readonly kind: PlainProblem }
  | { readonly kind: 'name'; readonly message: string }
  /** The host plays a game this page does not have (an older page): reload. */
  | { readonly kind: 'unknown-game'; readonly game: string }
  | {
      readonly kind: 'unreachable' | 'reconnecting';
      readonly retryAt: number;
      readonly reason: string;
    }
  | { readonly kind: 'error'; readonly message: string };

/** True for problems after which this session cannot continue. */
export const isFinal = (p: Problem | undefined): boolean =>
  p !== undefined && p.kind !== 'unreachable' && p.kind !== 'reconnecting';

export interface PlaySessionOptions {
  readonly server: string;
  readonly hello: Hello;
  readonly saved?: SavedSeat | undefined;
  readonly relayOnly: boolean;
  /** The games this page has (default: every game of the app). */
  readonly games?: GameRegistry;
  /**
   * Settings to start from when this player hosts (from the page address, e.g. `round: 30`),
   * by setting key. They only shape the host's game: settings travel in the game state.
   */
  readonly presets?: GameSettings;
  /** The game this tab hosted before it reloaded: the host carries on with it. */
  readonly savedGame?: SavedGame | undefined;
  /** Called whenever the seat changes, for the page to keep it across a reload. */
  readonly onSeat?: (seat: SavedSeat) => void;
}

/**
 * One player's time in one lobby: the signaling connection, the links to the other players and,
 * once the host starts, the game. The UI reads its fields and listens to `onChange`; it never
 * touches the network itself.
 */
export class PlaySession {
  readonly client: SignalingClient;
  readonly network: PeerNetwork;
  readonly chat: ChatChannel;
  runner: GameRunner<unknown, unknown> | undefined;
  problem: Problem | undefined;
  readonly games: GameRegistry;
  /** This player's pick as host: the game and settings it starts (a guest's is unused). */
  choice: GamePick;
  /**
   * A guest's view of the host's pick, told by the host over the link (a CHOICE frame) as soon
   * as the link opens and on every change; set once that game's module has loaded (or turned
   * out to be missing from this page: then `module` of it stays undefined).
   */
  hostChoice: GamePick | undefined;
  /** The last change of host (host migration), for a short notice; `at` is `Date.now()`. */
  hostChange: { readonly text: string; readonly at: number; readonly from: number } | undefined;
  /** WebRTC is missing in this browser: everything goes through the relay. */
  readonly webrtcMissing: boolean;
  readonly relayOnly: boolean;
  private everOpen = false;
  private readonly changes = new Emitter<[]>();
  private readonly off: Unsubscribe[] = [];
  private readonly presets: GameSettings;
  /** The last link report sent to the server, to send only changes. */
  private reportedLinks = '';
  /** The lobby as last seen, to name the host that went when another takes over. */
  private lastLobby: LobbyView | undefined;
  private savedGame: SavedGame | undefined;
  private awaySince: number | undefined;
  private pickerLoading = false;
  /** The host's pick heard last, while its module loads. */
  private heard: GamePick | undefined;
  private disposed = false;

  constructor(options: PlaySessionOptions) {
    this.webrtcMissing = typeof RTCPeerConnection === 'undefined';
    this.relayOnly = options.relayOnly || this.webrtcMissing;
    this.games = options.games ?? games;
    this.presets = options.presets ?? {};
    this.savedGame = options.savedGame;
    // The settings are put in range once the game's module has loaded (see `loadPicker`).
    this.choice = { game: this.games.first, settings: this.presets };
    this.hostChoice = undefined;
    this.client = new SignalingClient({
      server: options.server,
      hello: options.hello,
      saved: options.saved,
    });
    this.network = new PeerNetwork({
      client: this.client,
      relayOnly: this.relayOnly,
      direct: (o) => new DirectTransport(o),
    });
    this.chat = new ChatChannel({ client: this.client, network: this.network });
    this.off.push(
      this.client.onState((state) => {
        if (state.kind === 'open') {
          this.everOpen = true;
          // A new connection (or a server that restarted) knows no links yet.
          this.reportedLinks = '';
          this.reportLinks();
          this.resumeGame();
          if (this.problem?.kind === 'unreachable' || this.problem?.kind === 'reconnecting')
            this.problem = undefined;
        } else if (state.kind === 'reconnecting') {
          this.problem = {
            kind: this.everOpen ? 'reconnecting' : 'unreachable',
            retryAt: Date.now() + state.retryInMs,
            reason: state.reason,
          };
        } else if (state.kind === 'closed') {
          this.problem ??= problemForClose(state);
        }
        this.changed();
      }),
      this.client.onLobby((lobby) => {
        const seat = this.client.seat;
        if (seat) options.onSeat?.(seat);
        const before = this.lastLobby;
        this.lastLobby = lobby;
        if (before?.code === lobby.code && before.hostId !== lobby.hostId) {
          this.hostChanged(before, lobby);
          if (lobby.hostId === this.you) this.tookOver();
        }
        if (this.isHost) this.loadPicker();
        this.maybeJoinGame(lobby);
        this.changed();
      }),
      this.client.onError((error) => {
        if (this.client.state.kind === 'open') {
          // Refusals of host actions (a race with a leaving player): nothing to show but a note.
          if (error.code !== 'unknown_target')
            this.problem = { kind: 'error', message: error.message };
        } else {
          this.problem =
            error.code === 'join_refused'
              ? { kind: JOIN_PROBLEMS[error.reason ?? 'unavailable'] }
              : error.code === 'name_invalid'
                ? { kind: 'name', message: 'Choose a name with at least one letter or digit.' }
                : { kind: 'error', message: error.message };
          this.client.close();
        }
        this.changed();
      }),
      this.network.onChange(() => {
        this.reportLinks();
        this.changed();
      }),
      this.network.onPeer((id, session) => {
        this.watchPeer(id, session);
        this.maybeJoinGame(this.client.lobby);
      }),
      this.chat.onChange(() => this.changed()),
    );
    // Creating a lobby makes this player its host: the picker's games load while it connects.
    if (options.hello.type === 'create') this.loadPicker();
  }

  get lobby(): LobbyView | undefined {
    return this.client.lobby;
  }
  get you(): number | undefined {
    return this.client.you;
  }
  get isHost(): boolean {
    return this.client.isHost;
  }
  get peers(): PeerInfo[] {
    return this.network.info();
  }
  /** The module of the game being played, once known. */
  get module(): AnyGameModule | undefined {
    const id = this.runner?.game?.id;
    return id === undefined ? undefined : this.games.get(id);
  }
  /** The host has started and this browser has the game's state. */
  get playing(): boolean {
    return this.runner?.playing === true;
  }
  /** This browser watches: no seat, no input. */
  get spectator(): boolean {
    const you = this.you;
    return this.lobby?.players.find((p) => p.id === you)?.spectator === true;
  }
  /** The host's seat is held but its connection is gone (it may come back within the grace period). */
  get hostAway(): boolean {
    const lobby = this.lobby;
    return (
      lobby !== undefined &&
      !this.isHost &&
      lobby.players.find((p) => p.id === lobby.hostId)?.connected === false
    );
  }
  /** Since when (`Date.now()`) the host has been away; undefined while it is not. */
  get hostAwaySince(): number | undefined {
    if (!this.hostAway) this.awaySince = undefined;
    else this.awaySince ??= Date.now();
    return this.awaySince;
  }

  onChange(handler: () => void): Unsubscribe {
    return this.changes.on(handler);
  }

  /**
   * The host picks a game (and its settings; missing ones keep their current values); every
   * guest is told. Only games whose module has loaded can be picked (the picker shows those).
   */
  choose(game: string, settings: GameSettings = {}): void {
    if (this.games.get(game) === undefined) return;
    const current = game === this.choice.game ? this.choice.settings : this.presets;
    this.choice = { game, settings: this.games.settings(game, { ...current, ...settings }) };
    this.tellChoice();
    this.changed();
  }

  /** The host starts the chosen game; guests follow on its first snapshot. */
  start(): void {
    const module = this.games.get(this.choice.game);
    if (!this.isHost || this.runner || module === undefined) return;
    this.runner = new GameRunner({
      game: module.create(this.choice.settings),
      client: this.client,
      network: this.network,
      seed: (Math.random() * 0x1_0000_0000) >>> 0,
    });
    this.changed();
  }

  /** The host's game as bytes, for the page to keep when the tab goes (see `savedGame`). */
  gameToSave(): SavedGame | undefined {
    const host = this.runner?.host;
    const game = this.runner?.game;
    if (!this.isHost || host === undefined || game === undefined) return undefined;
    return { game: game.id, state: game.encodeFull(host.state) };
  }

  kick(id: number): void {
    this.client.kick(id);
  }
  lock(locked: boolean): void {
    this.client.lock(locked);
  }
  /** Host: lets people watch, or sends the spectators away. */
  spectate(allowed: boolean): void {
    this.client.spectate(allowed);
  }
  /** Host: mutes or unmutes a player's chat. */
  mute(id: number, muted: boolean): void {
    this.chat.mute(id, muted);
  }
  /** The tab is closing, not reloading: the server may hand this host's lobby over at once. */
  pageClosing(): void {
    this.client.closing();
  }
  leave(): void {
    this.client.leave();
    this.dispose();
  }

  dismissProblem(): void {
    if (!isFinal(this.problem)) return;
    if (this.problem?.kind === 'error' && this.client.state.kind === 'open')
      this.problem = undefined;
    this.changed();
  }

  dispose(): void {
    this.disposed = true;
    for (const off of this.off) off();
    this.runner?.dispose();
    this.chat.dispose();
    this.network.close();
    this.client.close();
    this.changes.clear();
  }

  /** Back as host after a reload of this tab mid-game: the game goes on from where it was. */
  private resumeGame(): void {
    const saved = this.savedGame;
    this.savedGame = undefined;
    if (saved === undefined || !this.isHost || this.runner) return;
    this.games.load(saved.game).then(
      () => {
        const game = this.games.rules(saved.game);
        const state = game?.decode(undefined, saved.state);
        if (this.disposed || !this.isHost || this.runner) return;
        if (game === undefined || state === undefined || !state.ok) return;
        this.runner = new GameRunner({
          game,
          client: this.client,
          network: this.network,
          initial: state.value,
        });
        this.changed();
      },
      () => undefined, // its chunk is gone (the app was updated): the lobby shows instead
    );
  }

  /**
   * The host's game picker needs every game's name, range and settings: their modules load
   * (once) when this player is the host, and the pick's settings are then put in range.
   */
  private loadPicker(): void {
    if (this.pickerLoading) return;
    this.pickerLoading = true;
    this.games.loadAll().then(
      () => {
        const { game, settings } = this.choice;
        this.choice = { game, settings: this.games.settings(game, settings) };
        this.tellChoice();
        this.changed();
      },
      () => {
        // A chunk could not be fetched (offline, or the server was updated): tried again on
        // the next lobby update.
        this.pickerLoading = false;
      },
    );
  }

  /**
   * A link to a peer: the host tells it the pick as it opens and whenever it starts over (a
   * reload); a guest listens to its host's picks.
   */
  private watchPeer(id: number, session: Session): void {
    if (this.isHost) this.tellChoice(session);
    this.off.push(
      session.onReset(() => {
        if (this.isHost) this.tellChoice(session);
      }),
      session.onMessage((bytes) => {
        if (bytes[0] !== EngineFrame.CHOICE || this.isHost || id !== this.lobby?.hostId) return;
        const frame = decodeEngineFrame(bytes);
        if (frame.ok && frame.value.kind === EngineFrame.CHOICE) this.heardChoice(frame.value);
      }),
    );
  }

  /** Sends the host's pick to one guest, or to every guest; only once it is in range. */
  private tellChoice(to?: Session): void {
    if (!this.isHost || this.games.get(this.choice.game) === undefined) return;
    const bytes = encodeChoice(this.choice.game, this.choice.settings);
    const sessions = to
      ? [to]
      : this.network.info().flatMap((p) => this.network.session(p.id) ?? []);
    for (const session of sessions) session.send(bytes, { reliable: true });
  }

  /** A guest heard the host's pick: it shows once the game's module is here (or is not). */
  private heardChoice(choice: GamePick): void {
    const heard = { game: choice.game, settings: { ...choice.settings } };
    this.heard = heard;
    const settle = () => {
      if (this.disposed || this.heard !== heard) return;
      this.hostChoice = heard;
      this.changed();
    };
    this.games.load(choice.game).then(settle, settle);
  }

  /** Made host (host migration): the pick this player last heard becomes its own. */
  private tookOver(): void {
    const heard = this.hostChoice;
    // Only a game this page has loaded, its settings put in range (they came from a peer).
    if (heard !== undefined && this.games.get(heard.game) !== undefined)
      this.choice = { game: heard.game, settings: this.games.settings(heard.game, heard.settings) };
    this.hostChoice = undefined;
    this.tellChoice();
  }

  /** The host reports its guests' links to the server, which shows them to everyone. */
  private reportLinks(): void {
    if (!this.isHost || this.client.state.kind !== 'open') return;
    const links = this.network
      .info()
      .filter((p) => p.present)
      .map((p) => ({ id: p.id, kind: p.kind }));
    const key = JSON.stringify(links);
    if (key === this.reportedLinks) return;
    if (this.client.reportLinks(links)) this.reportedLinks = key;
  }

  /** A guest runs its side of the game from the start: it shows once the host's state arrives. */
  private maybeJoinGame(lobby: LobbyView | undefined): void {
    if (this.runner || !lobby || this.isHost || this.you === undefined) return;
    if (this.network.session(lobby.hostId) === undefined) return;
    const runner = new GameRunner({
      find: (id) => this.games.find(id),
      client: this.client,
      network: this.network,
    });
    this.runner = runner;
    this.off.push(
      runner.onChange(() => {
        // Made host before any game state arrived: nothing to carry on, the lobby shows the
        // host controls instead.
        if (this.runner === runner && this.isHost && runner.host === undefined) {
          runner.dispose();
          this.runner = undefined;
        }
        if (runner.unknownGame !== undefined)
          this.problem = { kind: 'unknown-game', game: runner.unknownGame };
        this.changed();
      }),
    );
  }

  /** Host migration: one short notice, e.g. "Ada left — Bea is hosting now". */
  private hostChanged(before: LobbyView, lobby: LobbyView): void {
    const name = (view: LobbyView, id: number) => view.players.find((p) => p.id === id)?.name;
    const old = name(before, before.hostId) ?? name(lobby, before.hostId) ?? 'The host';
    const now =
      lobby.hostId === this.you ? 'you are' : `${name(lobby, lobby.hostId) ?? 'another player'} is`;
    // The host that was replaced while away (offline) hears it too, in its own words.
    const gone = before.hostId === this.you ? 'You were away' : `${old} left`;
    this.hostChange = {
      text: `${gone} — ${now} hosting now`,
      at: Date.now(),
      from: before.hostId,
    };
  }

  private changed(): void {
    this.changes.emit();
  }
}

const JOIN_PROBLEMS: Record<JoinRefusal, PlainProblem> = {
  unavailable: 'not-found',
  full: 'full',
  locked: 'locked',
  no_spectators: 'no-spectators',
  spectators_full: 'spectators-full',
};

function problemForClose({
  code,
  reason,
  cause,
}: Extract<SignalingState, { kind: 'closed' }>): Problem | undefined {
  if (cause === 'lobby-gone') return { kind: 'lobby-gone' };
  switch (code) {
    case CloseCode.KICKED:
      return { kind: 'kicked' };
    case CloseCode.LOBBY_CLOSED:
      return { kind: 'host-left' };
    case CloseCode.PROTOCOL_MISMATCH:
      return { kind: 'version' };
    case CloseCode.SPECTATING_OFF:
      return { kind: 'spectating-off' };
    case CloseCode.NORMAL:
      return undefined;
    default:
      return { kind: 'error', message: reason || `connection closed (${code})` };
  }
}
