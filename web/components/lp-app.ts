import { css, html, LitElement } from 'lit';
import { formatLobbyCode, normalizeLobbyCode } from '../../shared/protocol/lobby-code.ts';
import type { LobbyView } from '../../shared/protocol/signaling.ts';
import { DirectTransport } from '../net/direct-transport.ts';
import { type PeerInfo, PeerNetwork } from '../net/peer-network.ts';
import { type Hello, SignalingClient, type SignalingState } from '../net/signaling-client.ts';

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
    @media (prefers-color-scheme: dark) { [role='alert'] { color: #ff8a80; } }
  `;

  declare lobby: LobbyView | undefined;
  declare state: SignalingState | undefined;
  declare peers: PeerInfo[];
  private client: SignalingClient | undefined;
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
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.refresh);
    this.network?.close();
    this.client?.close();
  }

  override render() {
    const lobby = this.lobby;
    const s = this.state;
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
    `;
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
    this.refresh = setInterval(update, 1000);
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
