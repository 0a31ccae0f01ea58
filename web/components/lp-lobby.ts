import { generate } from 'lean-qr';
import { css, html, LitElement, svg } from 'lit';
import { formatLobbyCode } from '../../shared/protocol/lobby-code.ts';
import type { LobbyView } from '../../shared/protocol/signaling.ts';
import { linkLabel, linkText } from '../app/link-labels.ts';
import { type AnyGameModule, type GameSettings, settingValue } from '../games/game-module.ts';
import type { PeerInfo } from '../net/peer-network.ts';
import { playerColor } from '../render/canvas.ts';
import { base, emit } from './styles.ts';

/** An SVG path drawing the dark modules of a QR code of `text`. */
function qrPath(text: string): { text: string; size: number; d: string } {
  const code = generate(text);
  let d = '';
  for (let y = 0; y < code.size; y++) {
    for (let x = 0; x < code.size; x++) if (code.get(x, y)) d += `M${x} ${y}h1v1h-1z`;
  }
  return { text, size: code.size, d };
}

/** Copies text; falls back to a selection copy on plain-http pages without the Clipboard API. */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.cssText = 'position:fixed;opacity:0';
    document.body.append(area);
    area.select();
    const ok = document.execCommand('copy');
    area.remove();
    return ok;
  }
}

/** What the game picker shows of a game module. */
export type GameChoice = Pick<AnyGameModule, 'id' | 'name' | 'summary' | 'players' | 'settings'>;

/**
 * The lobby: the code in large type, the share link (copy, QR, share), who is in and how each
 * is connected, who watches (spectators, listed apart), and the host's controls: the game picker
 * (a radio group, and the chosen game's settings), start, lock, spectating on/off, kick, mute; a
 * guest sees the host's pick instead of the picker. Emits `lp-pick`, `lp-start`, `lp-kick`,
 * `lp-lock`, `lp-spectate`, `lp-mute`, `lp-leave`.
 */
export class LpLobby extends LitElement {
  static override properties = {
    lobby: { attribute: false },
    you: { type: Number },
    peers: { attribute: false },
    relayNote: { type: String },
    games: { attribute: false },
    choice: { attribute: false },
    muted: { attribute: false },
    copyStatus: { state: true },
  };
  static override styles = [
    base,
    css`
      :host {
        display: grid;
        gap: 1rem;
      }
      h1 {
        margin: 0;
        font-size: 1rem;
        text-transform: uppercase;
        letter-spacing: 0.12em;
      }
      .code {
        font-family: ui-monospace, monospace;
        /* 15 characters on one line down to a 360 px wide phone. */
        font-size: clamp(1.4rem, 7vw, 3rem);
        letter-spacing: 0.08em;
        margin: 0.25rem 0 0;
        overflow-wrap: anywhere;
      }
      .share {
        display: grid;
        grid-template-columns: 1fr auto;
        gap: 1rem;
        align-items: center;
      }
      @media (max-width: 480px) {
        .share {
          grid-template-columns: 1fr;
        }
        svg.qr {
          justify-self: center;
        }
      }
      .link {
        font-family: ui-monospace, monospace;
        word-break: break-all;
        margin: 0 0 0.75rem;
      }
      .buttons {
        display: flex;
        gap: 0.5rem;
        flex-wrap: wrap;
      }
      svg.qr {
        width: 148px;
        height: 148px;
        background: #fff;
        border-radius: 8px;
        padding: 6px;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        gap: 0.5rem;
      }
      h1 + ul {
        margin-top: 0.5rem;
      }
      li {
        display: flex;
        align-items: center;
        gap: 0.6rem;
        flex-wrap: wrap;
        min-height: 2.5rem;
        padding: 0.35rem 0.25rem;
        border-bottom: 1px solid var(--line);
      }
      li:last-child {
        border-bottom: none;
      }
      .name {
        /* A long name wraps inside its own box, on the line of its dot. */
        max-width: calc(100% - 2rem);
        overflow-wrap: anywhere;
      }
      .dot {
        width: 14px;
        height: 14px;
        border-radius: 50%;
        flex: none;
      }
      .badge {
        font-size: 0.8rem;
        border: 1px solid var(--line);
        border-radius: 999px;
        padding: 0.1rem 0.5rem;
      }
      .conn {
        margin-left: auto;
        font-size: 0.9rem;
      }
      .direct {
        color: var(--ok);
      }
      .relay {
        color: var(--warn);
      }
      .turn {
        color: var(--accent);
      }
      .note {
        border-left: 4px solid var(--warn);
        padding: 0.5rem 0.75rem;
        margin: 0;
      }
      li button {
        min-height: 36px;
        padding: 0.2rem 0.6rem;
      }
      li button[aria-pressed='true'] {
        background: var(--accent);
        color: var(--accent-text);
      }
      .actions {
        display: flex;
        gap: 0.5rem;
        flex-wrap: wrap;
        align-items: center;
      }
      .actions p {
        margin: 0;
      }
      .leave {
        margin-left: auto;
      }
      fieldset {
        border: none;
        margin: 0.5rem 0 0;
        padding: 0;
        display: grid;
        gap: 0.5rem;
      }
      .game {
        display: grid;
        gap: 0.2rem;
        padding: 0.6rem 0.75rem;
        border: 1px solid var(--line);
        border-radius: 10px;
      }
      .game:has(input:checked) {
        border-color: var(--accent);
        box-shadow: inset 0 0 0 1px var(--accent);
      }
      .game label {
        display: flex;
        gap: 0.6rem;
        align-items: center;
        cursor: pointer;
      }
      .game input {
        min-height: auto;
        width: 1.1rem;
        height: 1.1rem;
        margin: 0;
        accent-color: var(--accent);
      }
      .game-name {
        font-weight: 700;
      }
      .game-about {
        padding-left: 1.7rem;
        font-size: 0.9rem;
      }
      .settings {
        display: flex;
        flex-wrap: wrap;
        gap: 0.75rem;
        margin-top: 0.75rem;
      }
      .settings label {
        display: flex;
        gap: 0.5rem;
        align-items: center;
      }
      .settings select {
        min-height: 40px;
      }
      .picked {
        margin: 0.5rem 0 0;
        font-weight: 700;
      }
      .picked-about {
        margin: 0.25rem 0 0;
        font-size: 0.9rem;
      }
    `,
  ];

  declare lobby: LobbyView;
  declare you: number;
  declare peers: PeerInfo[];
  declare relayNote: string;
  /** The games the host may pick from (empty: no picker). */
  declare games: readonly GameChoice[];
  /**
   * The host's current pick (on a guest's page: as the host last told it, undefined until then;
   * a game missing from `games` is one this page does not have).
   */
  declare choice: { readonly game: string; readonly settings: GameSettings } | undefined;
  /** Players whose chat the host muted (host only). */
  declare muted: ReadonlySet<number>;
  /** What the last press of "Copy link" did, said in a status line. */
  declare copyStatus: string;

  constructor() {
    super();
    this.peers = [];
    this.relayNote = '';
    this.games = [];
    this.choice = undefined;
    this.muted = new Set();
    this.copyStatus = '';
  }

  /** The share link's QR code, drawn once per link (lobby updates come often; links don't). */
  private qr: ReturnType<typeof qrPath> | undefined;

  override willUpdate(): void {
    const link = this.lobby?.link;
    if (link !== undefined && this.qr?.text !== link) this.qr = qrPath(link);
  }

  override render() {
    const lobby = this.lobby;
    const qr = this.qr;
    if (!lobby || !qr) return html``;
    const isHost = this.you === lobby.hostId;
    const players = lobby.players.filter((p) => !p.spectator);
    const spectators = lobby.players.filter((p) => p.spectator);
    const canShare = typeof navigator.share === 'function';
    return html`
      <section class="panel" aria-labelledby="code-title">
        <h1 id="code-title">Lobby code</h1>
        <p class="code" data-testid="code">${formatLobbyCode(lobby.code)}</p>
      </section>
      <section class="panel share" aria-label="Share">
        <div>
          <p class="link" data-testid="share-link">${lobby.link}</p>
          <div class="buttons">
            <button @click=${this.copy}>Copy link</button>
            ${canShare ? html`<button class="secondary" @click=${this.share}>Share</button>` : ''}
          </div>
          <p role="status" class="muted" data-testid="copy-status">${this.copyStatus}</p>
        </div>
        ${svg`<svg class="qr" role="img" aria-label="QR code of the share link" viewBox="-2 -2 ${qr.size + 4} ${qr.size + 4}" shape-rendering="crispEdges"><path d=${qr.d} fill="#000"/></svg>`}
      </section>
      ${this.relayNote ? html`<p class="note panel" role="note">${this.relayNote}</p>` : ''}
      <section class="panel" aria-labelledby="players-title">
        <h1 id="players-title">Players ${players.length}/${lobby.capacity}${lobby.locked ? ' · locked' : ''}</h1>
        <ul aria-label="Players">
          ${players.map((p) => this.player(p, lobby, isHost))}
        </ul>
      </section>
      ${
        spectators.length > 0 || lobby.spectating === false
          ? html`<section class="panel" aria-labelledby="spectators-title">
              <h1 id="spectators-title">Watching ${spectators.length}${lobby.spectating === false ? ' · spectating off' : ''}</h1>
              ${spectators.length > 0 ? html`<ul aria-label="Spectators">${spectators.map((p) => this.player(p, lobby, isHost))}</ul>` : ''}
            </section>`
          : ''
      }
      ${isHost ? this.picker(lobby) : this.hostPick()}
      <div class="actions">
        ${
          isHost
            ? html`
                <button ?disabled=${this.refusal(lobby) !== undefined} aria-describedby="start-note" @click=${() => emit(this, 'lp-start', {})}>Start game</button>
                <button class="secondary" @click=${() => emit(this, 'lp-lock', { locked: !lobby.locked })}>
                  ${lobby.locked ? 'Unlock lobby' : 'Lock lobby'}
                </button>
                <button class="secondary" @click=${() => emit(this, 'lp-spectate', { allowed: lobby.spectating === false })}>
                  ${lobby.spectating === false ? 'Allow spectators' : 'Turn spectating off'}
                </button>
              `
            : html`<p class="muted">${
                players.some((p) => p.id === this.you)
                  ? 'Waiting for the host to start…'
                  : 'You are watching: the game shows here when the host starts.'
              }</p>`
        }
        <button class="danger leave" @click=${() => emit(this, 'lp-leave', {})}>Leave</button>
      </div>
    `;
  }

  /** The chosen game, if it is one of `games`. */
  private chosen(): GameChoice | undefined {
    return this.games.find((g) => g.id === this.choice?.game) ?? this.games[0];
  }

  /** Why the chosen game cannot start with these players, or undefined. */
  private refusal(lobby: LobbyView): string | undefined {
    const game = this.chosen();
    const n = lobby.players.filter((p) => !p.spectator).length;
    if (game === undefined || (n >= game.players.min && n <= game.players.max)) return undefined;
    return `${game.name} is for ${range(game)}: ${n} ${n === 1 ? 'is' : 'are'} here.`;
  }

  private picker(lobby: LobbyView) {
    const game = this.chosen();
    if (game === undefined) return '';
    const settings = this.choice?.game === game.id ? this.choice.settings : {};
    const pick = (id: string, changed: GameSettings = {}) =>
      emit(this, 'lp-pick', {
        game: id,
        settings: id === game.id ? { ...settings, ...changed } : changed,
      });
    const refusal = this.refusal(lobby);
    return html`<section class="panel" aria-labelledby="game-title">
      <h1 id="game-title">Game</h1>
      <fieldset>
        <legend class="sr-only">Game</legend>
        ${this.games.map(
          (g) => html`<div class="game">
            <label>
              <input type="radio" name="game" value=${g.id} .checked=${g.id === game.id}
                aria-describedby=${`about-${g.id}`} @change=${() => pick(g.id)} />
              <span class="game-name">${g.name}</span>
            </label>
            <span class="game-about muted" id=${`about-${g.id}`}>${range(g)}. ${g.summary}</span>
          </div>`,
        )}
      </fieldset>
      ${
        game.settings.length > 0
          ? html`<div class="settings">
              ${game.settings.map((setting) => {
                const value = settings[setting.key] ?? setting.default;
                const choices = setting.choices.includes(value)
                  ? setting.choices
                  : [...setting.choices, value].sort((a, b) => a - b);
                return html`<label>${setting.label}
                  <select @change=${(e: Event) => pick(game.id, { [setting.key]: Number((e.target as HTMLSelectElement).value) })}>
                    ${choices.map((c) => html`<option value=${c} ?selected=${c === value}>${c} ${setting.unit}</option>`)}
                  </select></label>`;
              })}
            </div>`
          : ''
      }
      <p id="start-note" class="muted" role="status">${refusal ?? ''}</p>
    </section>`;
  }

  /** A guest's view of the host's pick: what will be played, said again on every change. */
  private hostPick() {
    const choice = this.choice;
    const game = this.games.find((g) => g.id === choice?.game);
    const text =
      choice === undefined
        ? 'Waiting for the host to pick…'
        : game === undefined
          ? `"${choice.game}", which this page does not have: reload to play it`
          : [
              game.name,
              ...game.settings.map(
                (s) => `${s.label} ${settingValue(s, choice.settings)} ${s.unit}`,
              ),
            ].join(' · ');
    return html`<section class="panel" aria-labelledby="game-title">
      <h1 id="game-title">Game</h1>
      <p class="picked" role="status" aria-labelledby="game-title" data-testid="game-choice">${text}</p>
      ${game ? html`<p class="muted picked-about">${range(game)}. ${game.summary}</p>` : ''}
    </section>`;
  }

  private player(p: LobbyView['players'][number], lobby: LobbyView, isHost: boolean) {
    const me = p.id === this.you;
    const label = linkLabel(p.id, lobby, this.you, this.peers);
    const conn = me
      ? ''
      : !p.connected
        ? html`<span class="conn muted">reconnecting…</span>`
        : label
          ? html`<span class="conn ${label.kind}" data-kind=${label.kind}>${linkText(label)}</span>`
          : '';
    return html`<li data-player=${p.id}>
      <svg class="dot" viewBox="0 0 2 2" aria-hidden="true"><circle cx="1" cy="1" r="1" fill=${playerColor(p.id)}></circle></svg>
      <span class="name">${p.name}</span>
      ${p.id === lobby.hostId ? html`<span class="badge">host</span>` : ''}
      ${me ? html`<span class="badge">you</span>` : ''}
      ${conn}
      ${
        isHost && !me
          ? html`<button class="secondary" aria-pressed=${this.muted.has(p.id) ? 'true' : 'false'} aria-label=${`Mute ${p.name}`}
                @click=${() => emit(this, 'lp-mute', { id: p.id, muted: !this.muted.has(p.id) })}>Mute</button>
              <button class="danger" aria-label=${`Kick ${p.name}`} @click=${() => emit(this, 'lp-kick', { id: p.id })}>Kick</button>`
          : ''
      }
    </li>`;
  }

  private async copy(): Promise<void> {
    this.copyStatus = (await copyText(this.lobby.link))
      ? 'Link copied.'
      : 'Could not copy: select the link above and copy it.';
  }

  private async share(): Promise<void> {
    try {
      await navigator.share({ title: 'Join my lanparty lobby', url: this.lobby.link });
    } catch {
      // Dismissed by the player: nothing to do.
    }
  }
}

const range = (g: GameChoice) =>
  g.players.min === g.players.max
    ? `${g.players.min} players`
    : `${g.players.min}–${g.players.max} players`;

customElements.define('lp-lobby', LpLobby);

declare global {
  interface HTMLElementTagNameMap {
    'lp-lobby': LpLobby;
  }
  interface HTMLElementEventMap {
    'lp-start': CustomEvent<object>;
    'lp-pick': CustomEvent<{ game: string; settings: GameSettings }>;
    'lp-kick': CustomEvent<{ id: number }>;
    'lp-lock': CustomEvent<{ locked: boolean }>;
    'lp-spectate': CustomEvent<{ allowed: boolean }>;
    'lp-mute': CustomEvent<{ id: number; muted: boolean }>;
    'lp-leave': CustomEvent<object>;
  }
}
