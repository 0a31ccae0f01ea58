import { css, html, LitElement } from 'lit';
import type { Problem } from '../app/play-session.ts';
import { base, emit } from './styles.ts';

export type NoticeAction = 'home' | 'retry' | 'reload' | 'rename' | 'watch';

interface Text {
  readonly title: string;
  readonly body: string;
  readonly actions: readonly [NoticeAction, string][];
}

/** What to tell the player about a problem, and what to offer next. Exported for tests. */
export function describeProblem(p: Problem, now = Date.now()): Text {
  const home: [NoticeAction, string] = ['home', 'Back to start'];
  const watch: [NoticeAction, string] = ['watch', 'Watch instead'];
  switch (p.kind) {
    case 'not-found':
      return {
        title: 'Lobby not found',
        body: 'The link may be mistyped, or the lobby has ended.',
        actions: [home],
      };
    case 'full':
      return {
        title: 'This lobby is full',
        body: 'Ask the host to make room, then try again — or watch the game meanwhile.',
        actions: [watch, ['retry', 'Try again'], home],
      };
    case 'locked':
      return {
        title: 'This lobby is locked',
        body: 'The host is not letting anyone new in right now; you can still watch.',
        actions: [watch, ['retry', 'Try again'], home],
      };
    case 'no-spectators':
      return {
        title: 'Watching is off',
        body: 'The host does not let anyone watch this lobby.',
        actions: [['retry', 'Join instead'], home],
      };
    case 'spectators-full':
      return {
        title: 'Too many spectators',
        body: 'As many people are watching this lobby as it takes. Try again later.',
        actions: [['watch', 'Try again'], home],
      };
    case 'spectating-off':
      return {
        title: 'The host turned spectating off',
        body: 'Spectators can no longer watch this lobby. Ask the host for a seat, or start a lobby of your own.',
        actions: [['retry', 'Join as a player'], home],
      };
    case 'kicked':
      return {
        title: 'You were removed from the lobby',
        body: 'The host removed you.',
        actions: [home],
      };
    case 'host-left':
      return {
        title: 'The host left',
        body: 'The lobby has ended. Start a new one and invite your friends.',
        actions: [home],
      };
    case 'lobby-gone':
      return { title: 'The lobby is gone', body: 'It ended while you were away.', actions: [home] };
    case 'version':
      return {
        title: 'lanparty was updated',
        body: 'Reload the page to get the new version.',
        actions: [['reload', 'Reload'], home],
      };
    case 'unknown-game':
      return {
        title: 'Reload to play this game',
        body: `The host started a game this page does not have yet ("${p.game}"): lanparty was updated. Reload the page to get it; you keep your seat.`,
        actions: [['reload', 'Reload'], home],
      };
    case 'name':
      return { title: 'Name not accepted', body: p.message, actions: [['rename', 'Change name']] };
    case 'unreachable':
      return {
        title: 'Cannot reach the server',
        body: `Retrying in ${Math.max(0, Math.ceil((p.retryAt - now) / 1000))} s (${p.reason}).`,
        actions: [home],
      };
    case 'reconnecting':
      return {
        title: 'Connection lost',
        body: `Reconnecting in ${Math.max(0, Math.ceil((p.retryAt - now) / 1000))} s…`,
        actions: [],
      };
    case 'error':
      return { title: 'Something went wrong', body: p.message, actions: [home] };
  }
}

/** A problem, explained, with a way forward. Emits `lp-action` with the chosen action. */
export class LpNotice extends LitElement {
  static override properties = { problem: { attribute: false }, now: { type: Number } };
  static override styles = [
    base,
    css`
      :host {
        display: block;
      }
      h1 {
        margin-top: 0;
        font-size: 1.5rem;
      }
      .buttons {
        display: flex;
        gap: 0.5rem;
        flex-wrap: wrap;
      }
    `,
  ];
  declare problem: Problem;
  /** The time the countdowns count from (the app sets it as its clock ticks). */
  declare now: number | undefined;

  override render() {
    if (!this.problem) return html``;
    const text = describeProblem(this.problem, this.now ?? Date.now());
    return html`<section class="panel" role="alert" aria-labelledby="notice-title">
      <h1 id="notice-title">${text.title}</h1>
      <p>${text.body}</p>
      <div class="buttons">
        ${text.actions.map(([action, label], i) => html`<button class=${i === 0 ? '' : 'secondary'} @click=${() => emit(this, 'lp-action', { action })}>${label}</button>`)}
      </div>
    </section>`;
  }
}

customElements.define('lp-notice', LpNotice);

declare global {
  interface HTMLElementTagNameMap {
    'lp-notice': LpNotice;
  }
  interface HTMLElementEventMap {
    'lp-action': CustomEvent<{ action: NoticeAction }>;
  }
}
