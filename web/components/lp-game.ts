import { css, html, LitElement } from 'lit';
import type { LobbyView } from '../../shared/protocol/signaling.ts';
import { type TagInput, type TagState, TICK_RATE } from '../../shared/sim/tag/index.ts';
import { linkLabel, linkText } from '../app/link-labels.ts';
import { FrameLoop } from '../controllers/frame-loop.ts';
import type { GameRunner } from '../game/game-runner.ts';
import { watchKeyboard } from '../game/keyboard-input.ts';
import { watchJoystick } from '../game/touch-joystick.ts';
import type { PeerInfo } from '../net/peer-network.ts';
import { type PlayerLabel, screenToWorld, TagRenderer } from '../render/tag-renderer.ts';
import { base, darkPalette, emit } from './styles.ts';

const seconds = (ticks: number) => Math.max(0, Math.ceil(ticks / TICK_RATE));

/**
 * The game: the canvas filling the viewport, a HUD (score, round timer, who is "it", own ping
 * and connection), the scoreboard between rounds, and a Leave button. Arrow keys / WASD, or a
 * touch joystick. Emits `lp-leave`.
 */
export class LpGame extends LitElement {
  static override properties = {
    runner: { attribute: false },
    lobby: { attribute: false },
    you: { type: Number },
    peers: { attribute: false },
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
      .it {
        border-color: #ff6b6b;
      }
      .hud button {
        margin-left: auto;
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

  declare runner: GameRunner<TagState, TagInput>;
  declare lobby: LobbyView;
  declare you: number;
  declare peers: PeerInfo[];
  declare hud:
    | { tick: number; phase: string; phaseEnd: number; it: number; score: number; round: number }
    | undefined;
  private renderer: TagRenderer | undefined;
  private stops: (() => void)[] = [];
  private lastHud = 0;
  private readonly reducedMotion = matchMedia('(prefers-reduced-motion: reduce)');

  constructor() {
    super();
    this.peers = [];
    this.hud = undefined;
    new FrameLoop(this, (now) => this.frame(now));
  }

  override firstUpdated(): void {
    const canvas = this.renderRoot.querySelector('canvas');
    if (!canvas) return;
    this.renderer = new TagRenderer(canvas);
    // Keys and the joystick steer on screen; the arena may be drawn turned on a tall screen.
    const steer = (input: TagInput) =>
      this.runner?.setInput(screenToWorld(input, this.renderer?.rotated ?? false));
    this.stops.push(watchKeyboard(window, steer), watchJoystick(canvas, steer));
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const stop of this.stops) stop();
    this.stops = [];
  }

  override render() {
    const hud = this.hud;
    const name = (id: number) =>
      this.lobby?.players.find((p) => p.id === id)?.name ?? `Player ${id}`;
    const lobby = this.lobby;
    const toHost = lobby ? linkLabel(lobby.hostId, lobby, this.you, this.peers) : undefined;
    const connection = this.you === lobby?.hostId ? 'host' : toHost ? linkText(toHost) : '';
    return html`
      <h1 class="sr-only">Tag${hud ? `, round ${hud.round}` : ''}</h1>
      <div class="hud">
        ${
          hud
            ? html`
                <span class="chip" data-testid="score">Score ${seconds(hud.score)}</span>
                <span class="chip" data-testid="timer" >${hud.phase === 'scoreboard' ? 'Next round' : 'Time left'} ${seconds(hud.phaseEnd - hud.tick)} s</span>
                <span class="chip it" data-testid="it">${hud.it === this.you ? 'You are it!' : hud.it >= 0 ? `${name(hud.it)} is it` : 'Waiting for players'}</span>
                ${connection ? html`<span class="chip" data-testid="connection">${connection}</span>` : ''}
              `
            : html`<span class="chip">Starting…</span>`
        }
        <button class="danger" @click=${() => emit(this, 'lp-leave', {})}>Leave</button>
      </div>
      <div class="stage">
        <canvas role="img" aria-label="Game arena: move with the arrow keys or WASD, or drag on a touch screen"></canvas>
        ${hud?.phase === 'scoreboard' ? this.scoreboard(name) : ''}
      </div>
    `;
  }

  private scoreboard(name: (id: number) => string) {
    const state = this.runner?.view(performance.now());
    const results = state?.lastRound ?? [];
    return html`<div class="board">
      <section class="panel" role="dialog" aria-labelledby="board-title">
        <h2 id="board-title">Round ${state?.round ?? 1} — scores</h2>
        <ol aria-label="Scores">
          ${results.map((r) => html`<li>${name(r.id)}${r.id === this.you ? ' (you)' : ''}: ${seconds(r.score)} s</li>`)}
        </ol>
        <p>Next round in ${seconds((this.hud?.phaseEnd ?? 0) - (this.hud?.tick ?? 0))} s</p>
      </section>
    </div>`;
  }

  /**
   * Read-only counters, for diagnostics and the end-to-end tests (which read
   * `document.querySelector('lp-app').shadowRoot.querySelector('lp-game').stats`): snapshots
   * received from the host so far (guests; 0 on the host) and the newest game tick this page
   * knows. Nothing in the app depends on them.
   */
  get stats(): { readonly snapshots: number; readonly tick: number | undefined } {
    const guest = this.runner?.guest;
    return {
      snapshots: guest?.stats.snapshots ?? 0,
      tick: this.runner?.host?.state.tick ?? guest?.authoritative?.tick,
    };
  }

  private frame(now: number): void {
    const state = this.runner?.view(now);
    if (!state || !this.renderer) return;
    // With reduced motion the "it" halo stands still (the renderer animates it from `now`).
    this.renderer.draw(state, this.you, this.labels(), this.reducedMotion.matches ? 0 : now);
    // The HUD is text: four updates a second are plenty.
    if (now - this.lastHud > 250) {
      this.lastHud = now;
      const mine = state.players.find((p) => p.id === this.you);
      this.hud = {
        tick: state.tick,
        phase: state.phase,
        phaseEnd: state.phaseEnd,
        it: state.it,
        score: mine?.score ?? 0,
        round: state.round,
      };
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
