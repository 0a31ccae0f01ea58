import { css, html, LitElement } from 'lit';
import { formatLobbyCode, normalizeLobbyCode } from '../../shared/protocol/lobby-code.ts';
import { decodeServerMessage, type LobbyView } from '../../shared/protocol/signaling.ts';
import { PROTOCOL_VERSION, WS_PATH } from '../../shared/protocol/version.ts';

type Status =
  | { kind: 'idle' }
  | { kind: 'connecting' }
  | { kind: 'in-lobby'; you: number; lobby: LobbyView }
  | { kind: 'error'; message: string };

/**
 * A minimal lobby page: create a lobby or join one by link, see who is in it. The full UI
 * (share, QR, game view, every error state) replaces it later.
 */
export class LpApp extends LitElement {
  static override properties = { status: { state: true } };
  static override styles = css`
    :host { display: block; max-width: 28rem; padding: 1.5rem; }
    h1 { margin: 0 0 1rem; }
    form { display: flex; gap: 0.5rem; flex-wrap: wrap; align-items: end; }
    label { display: grid; gap: 0.25rem; }
    input, button { font: inherit; padding: 0.5rem 0.75rem; }
    .code { font-size: 2rem; letter-spacing: 0.1em; font-family: ui-monospace, monospace; }
    [role='alert'] { color: #b00020; }
    @media (prefers-color-scheme: dark) { [role='alert'] { color: #ff8a80; } }
  `;

  declare status: Status;
  private socket: WebSocket | undefined;
  private readonly joinCode = normalizeLobbyCode(
    location.pathname.match(/^\/l\/([^/]+)/)?.[1] ?? '',
  );

  constructor() {
    super();
    this.status = { kind: 'idle' };
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.socket?.close();
  }

  override render() {
    const s = this.status;
    return html`
      <h1>lanparty</h1>
      ${s.kind === 'in-lobby' ? this.renderLobby(s.you, s.lobby) : this.renderStart()}
      ${s.kind === 'error' ? html`<p role="alert">${s.message}</p>` : ''}
      <p aria-live="polite" data-testid="status">${s.kind === 'connecting' ? 'Connecting…' : s.kind === 'in-lobby' ? 'Connected' : ''}</p>
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

  private renderLobby(you: number, lobby: LobbyView) {
    return html`
      <p class="code" aria-label="Lobby code">${formatLobbyCode(lobby.code)}</p>
      <p>Share: <a href=${lobby.link}>${lobby.link}</a></p>
      <ul aria-label="Players">
        ${lobby.players.map(
          (p) =>
            html`<li>${p.name}${p.id === lobby.hostId ? ' (host)' : ''}${p.id === you ? ' (you)' : ''}${p.connected ? '' : ' — reconnecting'}</li>`,
        )}
      </ul>
    `;
  }

  private onSubmit(event: SubmitEvent): void {
    event.preventDefault();
    const name = String(new FormData(event.target as HTMLFormElement).get('name') ?? '');
    this.connect(
      this.joinCode ? { type: 'join', code: this.joinCode, name } : { type: 'create', name },
    );
  }

  private connect(hello: object): void {
    this.status = { kind: 'connecting' };
    const url = new URL(`${WS_PATH}?v=${PROTOCOL_VERSION}`, location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onopen = () => socket.send(JSON.stringify(hello));
    socket.onmessage = (event) => {
      const decoded = decodeServerMessage(String(event.data));
      if (!decoded.ok) return;
      const msg = decoded.value;
      if (msg.type === 'welcome')
        this.status = { kind: 'in-lobby', you: msg.you, lobby: msg.lobby };
      else if (msg.type === 'lobby' && this.status.kind === 'in-lobby')
        this.status = { ...this.status, lobby: msg.lobby };
      else if (msg.type === 'error') this.status = { kind: 'error', message: msg.message };
    };
    socket.onclose = (event) => {
      if (this.status.kind !== 'error')
        this.status = {
          kind: 'error',
          message: `Disconnected (${event.code}${event.reason ? `: ${event.reason}` : ''})`,
        };
    };
  }
}

customElements.define('lp-app', LpApp);

declare global {
  interface HTMLElementTagNameMap {
    'lp-app': LpApp;
  }
}
