import { css, html, LitElement } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';
import { formatLobbyCode } from '../../shared/protocol/lobby-code.ts';
import type { PlayerView } from '../../shared/protocol/signaling.ts';
import { relayNote } from '../app/link-labels.ts';
import { isFinal, PlaySession } from '../app/play-session.ts';
import { pageIsReloading, reloadsAreKnown } from '../app/reload-notice.ts';
import { parseRoute, pathFor, type Route, settingParams } from '../app/route.ts';
import {
  forgetSeat,
  relayOnlySetting,
  rememberedName,
  rememberName,
  savedSeat,
  saveGame,
  saveSeat,
  setRelayOnly,
  takeSavedGame,
} from '../app/storage.ts';
import { Subscription } from '../controllers/subscription.ts';
import { WakeAt } from '../controllers/wake-at.ts';
import type { Hello } from '../net/signaling-client.ts';
import { describeProblem, type NoticeAction } from './lp-notice.ts';
import { base } from './styles.ts';
import './lp-chat.ts';
import './lp-game.ts';
import './lp-home.ts';
import './lp-lobby.ts';
import './lp-notice.ts';

/**
 * The app shell: routes (`/` and the share link `/l/<CODE>`), one PlaySession at a time, and
 * which screen shows: start page, lobby, game, or a problem with a way forward. Announces joins,
 * leaves and errors in a live region and keeps the page title in step.
 */
export class LpApp extends LitElement {
  static override properties = {
    route: { state: true },
    session: { state: true },
    announcement: { state: true },
  };
  static override styles = [
    base,
    css`
      :host {
        display: block;
        min-height: 100vh;
        background: var(--bg);
      }
      main:not(.game) {
        max-width: 40rem;
        margin: 0 auto;
        padding: clamp(1rem, 4vw, 2.5rem) 1rem 3rem;
        display: grid;
        gap: 1rem;
      }
      .banner {
        border-left: 4px solid var(--warn);
      }
      /* At the foot of the screen: the HUD wraps to two rows on a phone, and a notice at the
         top covered its Leave button. Touches go through to the game except on buttons. */
      .over-game {
        position: fixed;
        z-index: 1;
        bottom: 4rem;
        left: 50%;
        transform: translateX(-50%);
        width: min(36rem, calc(100vw - 2rem));
        display: grid;
        gap: 0.5rem;
        pointer-events: none;
      }
      .over-game button {
        pointer-events: auto;
      }
      .host-left {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem 1rem;
        align-items: center;
        justify-content: space-between;
      }
      .host-left p {
        margin: 0;
      }
      .joining {
        text-align: center;
      }
      label.setting {
        display: flex;
        gap: 0.5rem;
        align-items: center;
      }
      label.setting input {
        min-height: auto;
        width: 1.2rem;
        height: 1.2rem;
      }
    `,
  ];

  declare route: Route;
  declare session: PlaySession | undefined;
  declare announcement: string;
  /** What the app shows follows the session: every change re-renders (and is announced). */
  private readonly following = new Subscription<PlaySession>(this, (session) =>
    session.onChange(() => {
      this.announceChanges(session);
      // A page too old for the host's game keeps its seat: "Reload" takes it back.
      if (isFinal(session.problem) && session.problem?.kind !== 'unknown-game' && session.lobby)
        forgetSeat(session.lobby.code);
      this.requestUpdate();
    }),
  );
  /** The name of the last attempt, for "Try again" (it is remembered only once accepted). */
  private lastName = '';
  private lastPlayers = new Map<number, PlayerView>();
  /** The host change last announced. */
  private lastHostChange: PlaySession['hostChange'];
  /** Re-renders when a notice's time comes (nothing on this screen polls). */
  private readonly wake = new WakeAt(this);
  private readonly onPopState = () => this.go(parseRoute(location.pathname), false);
  /**
   * The tab goes. A host keeps its game, so a reload carries on with it; a tab that is closing
   * (no reload notice from the service worker) says so, and a guest takes over at once.
   */
  private readonly onPageHide = () => {
    const code = this.session?.lobby?.code;
    const game = this.session?.gameToSave();
    if (code !== undefined && game !== undefined) saveGame(code, game);
    if (reloadsAreKnown() && !pageIsReloading()) this.session?.pageClosing();
  };

  constructor() {
    super();
    this.route = parseRoute(location.pathname);
    this.session = undefined;
    this.announcement = '';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('popstate', this.onPopState);
    window.addEventListener('pagehide', this.onPageHide);
    this.go(this.route, false);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('popstate', this.onPopState);
    window.removeEventListener('pagehide', this.onPageHide);
    this.endSession();
  }

  override render() {
    const s = this.session;
    const problem = s?.problem;
    this.updateTitle();
    // "Retrying in 3 s": the next render when the count goes down.
    if (problem?.kind === 'reconnecting' || problem?.kind === 'unreachable')
      this.wake.nextSecond(problem.retryAt);
    let screen: unknown;
    if (problem && (isFinal(problem) || this.unreachable())) {
      // Never in a lobby and the server does not answer: that is the screen, with a countdown.
      screen = html`<lp-notice .problem=${problem} .now=${Date.now()} @lp-action=${this.onAction}></lp-notice>`;
    } else if (s?.playing && s.runner && s.module && s.lobby && s.you !== undefined) {
      // The game fills the viewport (position: fixed): banners go over it, or nobody sees them.
      return html`<main class="game">
          <lp-game .runner=${s.runner} .module=${s.module} .lobby=${s.lobby} .you=${s.you} .peers=${s.peers}
            ?spectator=${s.spectator} @lp-leave=${this.leave}>${this.chat(true)}</lp-game>
          <div class="over-game">${this.banners()}</div>
        </main>${this.live()}`;
    } else if (
      s?.lobby &&
      s.you !== undefined &&
      (s.client.state.kind === 'open' || problem?.kind === 'reconnecting')
    ) {
      // While reconnecting the lobby stays in view under the "Connection lost" banner.
      screen = html`<lp-lobby .lobby=${s.lobby} .you=${s.you} .peers=${s.peers} .relayNote=${this.relayNote()}
        .games=${s.games.loaded} .choice=${s.isHost ? s.choice : s.hostChoice}
        @lp-pick=${(e: CustomEvent<{ game: string; settings: Record<string, number> }>) => s.choose(e.detail.game, e.detail.settings)}
        @lp-start=${() => s.start()} @lp-kick=${(e: CustomEvent<{ id: number }>) => s.kick(e.detail.id)}
        .muted=${s.chat.room.muted}
        @lp-lock=${(e: CustomEvent<{ locked: boolean }>) => s.lock(e.detail.locked)}
        @lp-spectate=${(e: CustomEvent<{ allowed: boolean }>) => s.spectate(e.detail.allowed)}
        @lp-mute=${(e: CustomEvent<{ id: number; muted: boolean }>) => s.mute(e.detail.id, e.detail.muted)}
        @lp-leave=${this.leave}></lp-lobby>${this.chat(false)}`;
    } else if (s) {
      screen = html`<section class="panel joining" aria-busy="true"><p>Joining…</p></section>`;
    } else if (this.route.page === 'invalid') {
      screen = html`<section class="panel" role="alert" data-testid="invalid-link">
          <h1>This link is not valid</h1>
          <p>The address is damaged (it may have been cut when it was copied). Ask for the link again, or start over.</p>
          <button @click=${() => this.go({ page: 'home' }, true)}>Go to the start page</button>
        </section>`;
    } else {
      screen = html`<lp-home .name=${rememberedName()} .code=${this.route.page === 'lobby' ? this.route.code : ''}
          @lp-create=${(e: CustomEvent<{ name: string }>) => this.start({ type: 'create', name: e.detail.name })}
          @lp-join=${(e: CustomEvent<{ name: string; code: string }>) => this.start({ type: 'join', code: e.detail.code, name: e.detail.name })}
          @lp-watch=${(e: CustomEvent<{ name: string; code: string }>) => this.start({ type: 'watch', code: e.detail.code, name: e.detail.name })}></lp-home>
        <label class="setting muted"><input type="checkbox" .checked=${relayOnlySetting()} @change=${this.toggleRelay} />
          Relay only (for strict networks: all traffic through the server)</label>`;
    }
    return html`<main>${this.banners()}${screen}</main>${this.live()}`;
  }

  private banners() {
    const s = this.session;
    const problem = s?.problem;
    const items = [];
    if (problem && !isFinal(problem) && !this.unreachable()) {
      const text = describeProblem(problem);
      items.push(html`<p class="panel banner" role="status">${text.title}. ${text.body}</p>`);
    }
    // Host migration: said once in the live region, shown for a few seconds.
    const change = s?.hostChange;
    if (change && Date.now() - change.at < HOST_CHANGE_NOTICE_MS && !isFinal(problem)) {
      items.push(html`<p class="panel banner" data-testid="host-change">${change.text}</p>`);
      this.wake.at(change.at + HOST_CHANGE_NOTICE_MS);
    }
    // A host away for a moment is a reload or a blip, or another player takes over (the server
    // waits 1.5 s): nothing to say. Still away after that (migration turned off on this server):
    // say the host left, offer a way out, and carry on if they come back within the grace period
    // (the server ends the lobby otherwise, and the final "The host left" notice replaces this).
    const awaySince = s?.hostAwaySince;
    if (awaySince !== undefined) this.wake.at(awaySince + HOST_AWAY_NOTICE_MS + 1);
    if (
      awaySince !== undefined &&
      Date.now() - awaySince > HOST_AWAY_NOTICE_MS &&
      !isFinal(problem)
    )
      items.push(
        html`<div class="panel banner host-left"><p role="status">The host left (or lost their connection). The game carries on if they come back soon.</p>
          <button @click=${this.leave}>Back to start</button></div>`,
      );
    return items;
  }

  /** The server never answered this session yet (it may still: the client keeps retrying). */
  private unreachable(): boolean {
    return this.session?.problem?.kind === 'unreachable' && this.session.lobby === undefined;
  }

  /**
   * The chat panel, in the lobby's column or over the game, collapsed until Enter or its button
   * opens it: closed, it takes no room from the lobby, and in a game its button sits in the HUD
   * (the game's `hud` slot), never over the arena.
   */
  private chat(overGame: boolean) {
    const chat = this.session?.chat;
    if (!chat) return '';
    const s = this.session;
    const people = s?.isHost ? (s.lobby?.players ?? []).filter((p) => p.id !== s.you) : [];
    return html`<lp-chat ?over-game=${overGame} slot=${ifDefined(overGame ? 'hud' : undefined)} .lines=${chat.lines} .historyUpTo=${chat.historyUpTo}
      .refusal=${chat.refusal} .people=${people} .muted=${chat.room.muted} .you=${s?.you}
      @lp-chat-send=${(e: CustomEvent<{ text: string }>) => chat.send(e.detail.text)}
      @lp-mute=${(e: CustomEvent<{ id: number; muted: boolean }>) => s?.mute(e.detail.id, e.detail.muted)}></lp-chat>`;
  }

  private live() {
    return html`<p class="sr-only" aria-live="polite" data-testid="announcer">${this.announcement}</p>`;
  }

  private relayNote(): string {
    const s = this.session;
    if (!s) return '';
    const host = s.lobby?.hostId;
    const present = s.peers.filter((p) => p.present);
    const toHost = present.find((p) => p.id === host)?.kind;
    return relayNote({
      webrtcMissing: s.webrtcMissing,
      relayOnly: s.relayOnly,
      isHost: s.isHost,
      toHost,
      guestsOnRelay: present.filter((p) => p.kind === 'relay').length,
      iceServers: s.client.iceServers,
    });
  }

  /** Moves to a route; a lobby route opens that lobby (resuming a saved seat, or joining). */
  private go(route: Route, push: boolean): void {
    if (push && pathFor(route) !== location.pathname) history.pushState(null, '', pathFor(route));
    this.route = route;
    if (route.page !== 'lobby') {
      this.endSession();
      return;
    }
    if (this.session?.lobby?.code === route.code) return;
    this.endSession();
    const saved = savedSeat(route.code);
    const name = rememberedName();
    // `?watch` on a share link: a visitor whose name is remembered watches instead of joining.
    const type = new URLSearchParams(location.search).has('watch') ? 'watch' : 'join';
    if (saved) this.start({ type: 'join', code: route.code, name: name || 'Player' }, saved);
    else if (name) this.start({ type, code: route.code, name });
  }

  private start(
    hello: Hello,
    saved = hello.type === 'create' ? undefined : savedSeat(hello.code),
  ): void {
    this.lastName = hello.name;
    this.endSession();
    const session = new PlaySession({
      server: location.origin,
      hello,
      saved,
      relayOnly: new URLSearchParams(location.search).get('relay') === '1' || relayOnlySetting(),
      presets: settingParams(location.search),
      savedGame: saved ? takeSavedGame(saved.lobby.code) : undefined,
      onSeat: (seat) => {
        // Remembered once the server took it: a refused name is not offered again.
        rememberName(hello.name);
        saveSeat(seat);
        // The creator's address bar becomes the share link.
        if (this.route.page !== 'lobby' || this.route.code !== seat.lobby.code) {
          this.route = { page: 'lobby', code: seat.lobby.code };
          history.pushState(null, '', pathFor(this.route));
        }
      },
    });
    this.session = session;
    this.lastPlayers = new Map();
    this.following.follow(session);
  }

  private endSession(): void {
    this.following.follow(undefined);
    this.session?.dispose();
    this.session = undefined;
  }

  private leave = (): void => {
    const code = this.session?.lobby?.code;
    this.session?.leave();
    this.following.follow(undefined);
    this.session = undefined;
    if (code) forgetSeat(code);
    this.go({ page: 'home' }, true);
  };

  private onAction(e: CustomEvent<{ action: NoticeAction }>): void {
    const route = this.route;
    switch (e.detail.action) {
      case 'home':
        this.go({ page: 'home' }, true);
        return;
      case 'retry':
      case 'watch':
        if (route.page === 'lobby') {
          this.endSession();
          this.start({
            type: e.detail.action === 'watch' ? 'watch' : 'join',
            code: route.code,
            name: this.lastName || rememberedName() || 'Player',
          });
        }
        return;
      case 'reload':
        location.reload();
        return;
      case 'rename':
        this.endSession();
        this.requestUpdate();
        return;
    }
  }

  private toggleRelay(e: Event): void {
    setRelayOnly((e.target as HTMLInputElement).checked);
  }

  /** Joins and leaves, said once to screen readers. */
  private announceChanges(session: PlaySession): void {
    const players = new Map((session.lobby?.players ?? []).map((p) => [p.id, p]));
    const said: string[] = [];
    const change = session.hostChange !== this.lastHostChange ? session.hostChange : undefined;
    this.lastHostChange = session.hostChange;
    if (change) said.push(change.text);
    if (this.lastPlayers.size > 0) {
      for (const [id, p] of players)
        if (!this.lastPlayers.has(id) && id !== session.you)
          said.push(`${p.name} ${p.spectator ? 'is watching' : 'joined'}`);
      for (const [id, p] of this.lastPlayers)
        if (!players.has(id) && id !== change?.from) said.push(`${p.name} left`);
    }
    if (session.problem && isFinal(session.problem))
      said.push(describeProblem(session.problem).title);
    this.lastPlayers = players;
    if (said.length > 0) this.announcement = said.join('. ');
  }

  private updateTitle(): void {
    const s = this.session;
    const code = s?.lobby?.code;
    const problem = s?.problem;
    // A final problem is the screen: its title is the page's ("The host left — lanparty").
    if (problem && isFinal(problem))
      document.title = `${describeProblem(problem).title} — lanparty`;
    else if (s?.playing) document.title = `Playing ${s.module?.name ?? 'a game'} — lanparty`;
    else if (code) document.title = `Lobby ${formatLobbyCode(code)} — lanparty`;
    else if (this.route.page === 'invalid') document.title = 'Link not valid — lanparty';
    else document.title = 'lanparty';
  }
}

/** How long the "Ada left — Bea is hosting now" notice stays on screen. */
const HOST_CHANGE_NOTICE_MS = 6000;
/** A host away longer than this has not reloaded, and no one took over: the page says so. */
const HOST_AWAY_NOTICE_MS = 4000;

customElements.define('lp-app', LpApp);

declare global {
  interface HTMLElementTagNameMap {
    'lp-app': LpApp;
  }
}
