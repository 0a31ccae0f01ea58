import { css, html, LitElement } from 'lit';
import { formatLobbyCode, normalizeLobbyCode } from '../../shared/protocol/lobby-code.ts';
import type { LobbyView } from '../../shared/protocol/signaling.ts';
import { type TagInput, type TagState, tag } from '../../shared/sim/tag/index.ts';
import { GameRunner } from '../game/game-runner.ts';
import { watchKeyboard } from '../game/keyboard-input.ts';
import { watchJoystick } from '../game/touch-joystick.ts';
import { DirectTransport } from '../net/direct-transport.ts';
import { type PeerInfo, PeerNetwork } from '../net/peer-network.ts';
import { type Hello, SignalingClient, type SignalingState } from '../net/signaling-client.ts';
import { type PlayerLabel, TagRenderer } from '../render/tag-renderer.ts';

/**
 * A minimal lobby page: create a lobby or join one by link, see who is in it and how each player
 * is connected (direct or relay, ping). The full UI (share, QR, game view, every error state)
 * replaces it later.
 */
export class LpApp extends LitElement {
  static override properties = {
    lobby: { state: true },
    state: { state: true },
    peers: { state: true },
  };
  static override styles = css`
    :host { display: block; max-width: 30rem; padding: 1.5rem; }
    h1 { margin: 0 0 1rem; }
    form { display: flex; gap: 0.5rem; flex-wrap: wrap; align-items: end; }
    label { display: grid; gap: 0.25rem; }
    input, button { font: inherit; padding: 0.5rem 0.75rem; }
    .code { font-size: 2rem; letter-spacing: 0.1em; font-family: ui-monospace, monospace; margin: 0.5rem 0; }
    .conn { font-size: 0.85em; opacity: 0.8; }
    [role='alert'] { color: #b00020; }
    canvas { position: fixed; inset: 0; width: 100vw; height: 100vh; display: block; }
    @media (prefers-color-scheme: dark) { [role='alert'] { color: #ff8a80; } }
  `;

  declare lobby: LobbyView | undefined;
  declare state: SignalingState | undefined;
  declare peers: PeerInfo[];
  declare playing: boolean;
  private client: SignalingClient | undefined;
  private runner: GameRunner<TagState, TagInput> | undefined;
  private stopGame: (() => void) | undefined;
  private network: PeerNetwork | undefined;
  private refresh: ReturnType<typeof setInterval> | undefined;
  private readonly joinCode = normalizeLobbyCode(
    location.pathname.match(/^\/l\/([^/]+)/)?.[1] ?? '',
  );
  /**
   * `?relay=1` on the URL, or the remembered setting, forces every link through the server, for
   * strict networks.
   */
  private readonly relayOnly =
    new URLSearchParams(location.search).get('relay') === '1' ||
    localStorage.getItem('lanparty.relayOnly') === '1';

  constructor() {
    super();
    this.lobby = undefined;
    this.state = undefined;
    this.peers = [];
    this.playing = false;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.refresh);
    this.stopGame?.();
    this.network?.close();
    this.client?.close();
  }

  override render() {
    const lobby = this.lobby;
    const s = this.state;
    if (this.playing) return html`<canvas aria-label="Game"></canvas>`;
    return html`
      <h1>lanparty</h1>
      ${lobby ? this.renderLobby(lobby) : this.renderStart()}
      ${s?.kind === 'closed' && s.code !== 1000 ? html`<p role="alert">${s.reason} (${s.code})</p>` : ''}
      <p aria-live="polite" data-testid="status">${describe(s)}</p>
    `;
  }

  private renderStart() {
    return html`
      <form @submit=${this.onSubmit}>
        <label>Name <input name="name" required maxlength="24" autocomplete="nickname" /></label>
        <button type="submit">${this.joinCode ? 'Join' : 'Create lobby'}</button>
      </form>
    `;
  }

  private renderLobby(lobby: LobbyView) {
    const you = this.client?.you;
    return html`
      <p class="code" aria-label="Lobby code">${formatLobbyCode(lobby.code)}</p>
      <p>Share: <a href=${lobby.link}>${lobby.link}</a></p>
      <ul aria-label="Players">
        ${lobby.players.map((p) => {
          const peer = this.peers.find((i) => i.id === p.id);
          return html`<li data-player=${p.id}>
            ${p.name}${p.id === lobby.hostId ? ' (host)' : ''}${p.id === you ? ' (you)' : ''}
            ${p.connected ? '' : ' — reconnecting'}
            ${peer ? html`<span class="conn" data-kind=${peer.kind}>${peer.kind}${peer.rtt === undefined ? '' : `, ${Math.round(peer.rtt)} ms`}</span>` : ''}
          </li>`;
        })}
      </ul>
      ${you === lobby.hostId ? html`<button @click=${this.startGame}>Start game</button>` : html`<p>Waiting for the host to start…</p>`}
    `;
  }

  /** The host starts the game; guests join in as soon as its first snapshot arrives. */
  private startGame(): void {
    const client = this.client;
    const network = this.network;
    if (!client || !network || this.runner) return;
    this.runner = new GameRunner({
      game: tag,
      client,
      network,
      seed: (Math.random() * 2 ** 32) >>> 0,
    });
    this.play();
  }

  /** Shows the canvas, reads the keyboard and draws every frame. */
  private async play(): Promise<void> {
    this.playing = true;
    await this.updateComplete;
    const canvas = this.renderRoot.querySelector('canvas');
    const runner = this.runner;
    if (!canvas || !runner) return;
    const renderer = new TagRenderer(canvas);
    const stopKeys = watchKeyboard(window, (input) => runner.setInput(input));
    const stopStick = watchJoystick(canvas, (input) => runner.setInput(input));
    let frame = 0;
    const draw = (now: number) => {
      const state = runner.view(now);
      if (state) renderer.draw(state, this.client?.you, this.labels(), now);
      frame = requestAnimationFrame(draw);
    };
    frame = requestAnimationFrame(draw);
    this.stopGame = () => {
      cancelAnimationFrame(frame);
      stopKeys();
      stopStick();
      runner.dispose();
    };
  }

  /** Names from the lobby; connection kind and ping from this browser's sessions. */
  private labels(): Map<number, PlayerLabel> {
    const labels = new Map<number, PlayerLabel>();
    const lobby = this.lobby;
    for (const p of lobby?.players ?? []) {
      const peer = this.peers.find((i) => i.id === p.id);
      labels.set(p.id, {
        name: p.name,
        connected: p.connected,
        kind: peer?.kind === 'memory' ? undefined : peer?.kind,
        rtt: peer?.rtt,
      });
    }
    return labels;
  }

  private onSubmit(event: SubmitEvent): void {
    event.preventDefault();
    const name = String(new FormData(event.target as HTMLFormElement).get('name') ?? '');
    const hello: Hello = this.joinCode
      ? { type: 'join', code: this.joinCode, name }
      : { type: 'create', name };
    const client = new SignalingClient({ server: location.origin, hello });
    this.client = client;
    this.state = client.state;
    client.onState((s) => {
      this.state = s;
    });
    client.onLobby((lobby) => {
      this.lobby = lobby;
    });
    this.network = new PeerNetwork({
      client,
      relayOnly: this.relayOnly,
      direct: (options) => new DirectTransport(options),
    });
    const update = () => {
      this.peers = this.network?.info() ?? [];
    };
    this.network.onChange(update);
    this.refresh = setInterval(() => {
      update();
      // A guest's game begins with the host's first snapshot.
      const guest = this.runner?.guest;
      if (guest?.authoritative !== undefined && !this.playing) this.play();
    }, 250);
    this.network.onPeer((id) => {
      if (this.runner || id !== client.lobby?.hostId || client.isHost || !this.network) return;
      this.runner = new GameRunner({ game: tag, client, network: this.network });
    });
  }
}

function describe(state: SignalingState | undefined): string {
  switch (state?.kind) {
    case undefined:
      return '';
    case 'connecting':
      return 'Connecting…';
    case 'open':
      return 'Connected';
    case 'reconnecting':
      return `Reconnecting in ${Math.ceil(state.retryInMs / 1000)} s (${state.reason})`;
    case 'closed':
      return 'Disconnected';
  }
}

customElements.define('lp-app', LpApp);

declare global {
  interface HTMLElementTagNameMap {
    'lp-app': LpApp;
  }
}
