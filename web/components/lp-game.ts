import { css, html, LitElement, type PropertyValues } from 'lit';
import type { LobbyView } from '../../shared/protocol/signaling.ts';
import { linkLabel, linkText } from '../app/link-labels.ts';
import { FrameLoop } from '../controllers/frame-loop.ts';
import { GameInput } from '../controllers/game-input.ts';
import type { GameRunner } from '../game/game-runner.ts';
import type { AnyGameModule, GameRenderer, Hud } from '../games/game-module.ts';
import type { PeerInfo } from '../net/peer-network.ts';
import type { PlayerLabel } from '../render/canvas.ts';
import { base, darkPalette, emit } from './styles.ts';

/**
 * The game view, for any game module: the canvas filling the viewport (drawn by the module's
 * renderer), a HUD (the module's chips, plus this player's connection), the module's
 * scoreboard between rounds, and a Leave button. The module maps keys and touches to input,
 * except for a spectator, who only watches. Emits `lp-leave`.
 */
export class LpGame extends LitElement {
  static override properties = {
    runner: { attribute: false },
    module: { attribute: false },
    lobby: { attribute: false },
    you: { type: Number },
    peers: { attribute: false },
    spectator: { type: Boolean },
    hud: { state: true },
  };
  static override styles = [
    base,
    css`
      :host {
        position: fixed;
        inset: 0;
        display: flex;
        flex-direction: column;
        background: #0f1221;
        color: #eef0ff;
        /* The arena is dark in both colour schemes: the dark palette keeps contrast AA. */
        ${darkPalette}
      }
      .stage {
        position: relative;
        flex: 1 1 auto;
        min-height: 0;
      }
      canvas {
        position: absolute;
        inset: 0;
        width: 100%;
        height: 100%;
        display: block;
      }
      .hud {
        flex: none;
        padding: 0.5rem;
        display: flex;
        gap: 0.5rem;
        flex-wrap: wrap;
        align-items: center;
        font-weight: 600;
      }
      .chip {
        background: rgba(15, 18, 33, 0.8);
        border: 1px solid #30365a;
        border-radius: 999px;
        padding: 0.3rem 0.75rem;
        white-space: nowrap;
      }
      .alert {
        border-color: #ff6b6b;
      }
      /* Leave, and what the page adds to the HUD (the chat's button), at its end: never over
         the arena, whose corners are where players hide. */
      .end {
        margin-left: auto;
        display: flex;
        gap: 0.5rem;
        align-items: center;
      }
      .hud button {
        min-height: 40px;
      }
      .board {
        position: absolute;
        inset: 0;
        display: grid;
        place-items: center;
        background: rgba(15, 18, 33, 0.7);
      }
      .board section {
        box-sizing: border-box;
        width: min(24rem, calc(100vw - 2rem));
        color: #eef0ff;
        background: #191d33;
        border-color: #30365a;
      }
      .board h2 {
        margin-top: 0;
      }
      ol {
        padding-left: 1.5rem;
        display: grid;
        gap: 0.35rem;
      }
    `,
  ];

  declare runner: GameRunner<unknown, unknown>;
  declare module: AnyGameModule;
  declare lobby: LobbyView;
  declare you: number;
  declare peers: PeerInfo[];
  declare spectator: boolean;
  declare hud: Hud | undefined;
  private renderer: GameRenderer<unknown> | undefined;
  private readonly input = new GameInput(this);
  private lastHud = 0;
  private readonly reducedMotion = matchMedia('(prefers-reduced-motion: reduce)');

  constructor() {
    super();
    this.peers = [];
    this.spectator = false;
    this.hud = undefined;
    new FrameLoop(this, (now) => this.frame(now));
  }

  /**
   * Everyone seen in this lobby, by id: a player who left (a host replaced by migration, say)
   * keeps a name on the scoreboard instead of "Player 1".
   */
  private readonly names = new Map<number, string>();

  override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('lobby'))
      for (const p of this.lobby?.players ?? []) this.names.set(p.id, p.name);
  }

  /** The renderer and the input mapping belong to the module: a new module, new ones. */
  override updated(changed: PropertyValues<this>): void {
    if (!changed.has('module')) return;
    this.input.listen(undefined);
    this.renderer = undefined;
    this.hud = undefined;
    const canvas = this.renderRoot.querySelector('canvas');
    const module = this.module;
    if (!canvas || !module) return;
    const renderer = module.renderer(canvas);
    this.renderer = renderer;
    if (this.spectator) return;
    this.input.listen(() =>
      module.watchInput(
        { keys: window, surface: canvas, turned: () => renderer.rotated },
        (input) => this.runner?.setInput(input),
      ),
    );
  }

  override render() {
    const hud = this.hud;
    const lobby = this.lobby;
    const toHost = lobby ? linkLabel(lobby.hostId, lobby, this.you, this.peers) : undefined;
    const connection = this.you === lobby?.hostId ? 'host' : toHost ? linkText(toHost) : '';
    return html`
      <h1 class="sr-only">${hud?.heading ?? this.module?.name ?? 'Game'}</h1>
      <div class="hud">
        ${
          hud
            ? html`
                ${hud.chips.map((c) => html`<span class="chip ${c.alert ? 'alert' : ''}" data-testid=${c.id}>${c.text}</span>`)}
                ${connection ? html`<span class="chip" data-testid="connection">${connection}</span>` : ''}
                ${this.spectator ? html`<span class="chip" data-testid="watching">watching</span>` : ''}
              `
            : html`<span class="chip">Starting…</span>`
        }
        <div class="end">
          <slot name="hud"></slot>
          <button class="danger" @click=${() => emit(this, 'lp-leave', {})}>Leave</button>
        </div>
      </div>
      <div class="stage">
        <canvas role="img" aria-label=${this.spectator ? `${this.module?.name ?? 'Game'}, watching` : (this.module?.controls ?? 'Game arena')}></canvas>
        ${hud?.board ? this.scoreboard(hud.board) : ''}
      </div>
    `;
  }

  private scoreboard(board: NonNullable<Hud['board']>) {
    return html`<div class="board">
      <section class="panel" role="dialog" aria-labelledby="board-title">
        <h2 id="board-title">${board.title}</h2>
        ${board.summary ? html`<p data-testid="board-summary">${board.summary}</p>` : ''}
        <ol aria-label="Scores">
          ${board.lines.map((line) => html`<li>${line}</li>`)}
        </ol>
        <p>${board.footer}</p>
      </section>
    </div>`;
  }

  /**
   * Read-only counters, for diagnostics and the end-to-end tests (which read
   * `document.querySelector('lp-app').shadowRoot.querySelector('lp-game').stats`): snapshots
   * received from hosts so far (guests; across host changes), the newest game tick this page
   * knows, the game loops it started (a host change starts one) and whether it hosts. Nothing
   * in the app depends on them.
   */
  get stats(): {
    readonly snapshots: number;
    readonly tick: number | undefined;
    readonly loops: number;
    readonly hosting: boolean;
  } {
    const runner = this.runner;
    const state = runner?.host?.state ?? runner?.guest?.authoritative;
    return {
      snapshots: runner?.snapshots ?? 0,
      tick: state === undefined ? undefined : runner?.game?.tick(state),
      loops: runner?.loops ?? 0,
      hosting: runner?.host !== undefined,
    };
  }

  private frame(now: number): void {
    const state = this.runner?.view(now);
    if (state === undefined || !this.renderer || !this.module) return;
    // With reduced motion nothing pulses (renderers animate from `now`).
    this.renderer.draw(state, this.you, this.labels(), this.reducedMotion.matches ? 0 : now);
    // The HUD is text: four updates a second are plenty.
    if (now - this.lastHud > 250) {
      this.lastHud = now;
      this.hud = this.module.hud(state, {
        you: this.you,
        spectator: this.spectator,
        name: (id) => this.names.get(id) ?? `Player ${id}`,
      });
    }
  }

  private labels(): Map<number, PlayerLabel> {
    const labels = new Map<number, PlayerLabel>();
    const lobby = this.lobby;
    for (const p of lobby?.players ?? []) {
      const link = lobby ? linkLabel(p.id, lobby, this.you, this.peers) : undefined;
      labels.set(p.id, {
        name: p.name,
        connected: p.connected,
        kind: link?.kind,
        rtt: link?.rtt,
      });
    }
    return labels;
  }
}

customElements.define('lp-game', LpGame);

declare global {
  interface HTMLElementTagNameMap {
    'lp-game': LpGame;
  }
}
