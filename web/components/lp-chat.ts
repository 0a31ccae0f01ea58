import { css, html, LitElement, type PropertyValues } from 'lit';
import { CHAT_LIMITS, type ChatLine, type ChatRefusal } from '../chat/chat-frames.ts';
import { base, darkPalette, emit } from './styles.ts';

/** What the player is told when the host refused their message. */
const REFUSAL_TEXT: Record<ChatRefusal, string> = {
  malformed: 'That message could not be sent.',
  empty: 'Type something first.',
  too_long: `Messages are at most ${CHAT_LIMITS.TEXT_CHARS} characters.`,
  rate_limited: 'Slow down: that message was not sent.',
  muted: 'You are muted: nobody sees your messages.',
  offline: 'Not connected to the host: that message was not sent.',
};

/** Keys on these elements are theirs: Enter there never opens the chat. */
const INTERACTIVE = 'button, input, select, textarea, a[href], summary, [contenteditable]';

/**
 * The chat panel, in the lobby and over the game: collapsed to a button until Enter (anywhere
 * but on a control) or a click opens it; Esc closes it. While closed there is no text field, so
 * game keys never end up in it; while its field has focus, key presses stop there, so typing
 * never steers the game. New messages are said in a live region, open or not. Names and
 * messages are text bindings: never HTML. For the host, a "Mute" list of the others (so a
 * player can be muted mid-game, away from the lobby). Emits `lp-chat-send` with the text and
 * `lp-mute` with a player's id and whether it is muted now.
 */
export class LpChat extends LitElement {
  static override properties = {
    lines: { attribute: false },
    historyUpTo: { attribute: false },
    refusal: { attribute: false },
    people: { attribute: false },
    muted: { attribute: false },
    you: { type: Number },
    overGame: { type: Boolean, attribute: 'over-game', reflect: true },
    open: { type: Boolean, reflect: true },
    announcement: { state: true },
  };
  static override styles = [
    base,
    css`
      :host {
        display: block;
      }
      /* Over the arena, which is dark in both colour schemes: the dark palette keeps contrast AA. */
      :host([over-game]) {
        ${darkPalette}
        position: fixed;
        z-index: 2;
        right: 0.5rem;
        bottom: 0.5rem;
        width: min(22rem, calc(100vw - 1rem));
      }
      /* Closed, only its button shows, where the page put it (the game's HUD). */
      :host([over-game]:not([open])) {
        position: static;
        width: auto;
      }
      .panel {
        padding: 0.75rem;
        display: grid;
        gap: 0.5rem;
      }
      :host([over-game]) .panel {
        background: rgba(25, 29, 51, 0.94);
      }
      .head {
        display: flex;
        gap: 0.5rem;
        align-items: center;
        justify-content: space-between;
      }
      h2 {
        margin: 0;
        font-size: 1rem;
      }
      ol {
        list-style: none;
        margin: 0;
        padding: 0;
        max-height: 14rem;
        overflow-y: auto;
        display: grid;
        gap: 0.25rem;
        overflow-wrap: anywhere;
      }
      :host([over-game]) ol {
        max-height: 25vh;
      }
      .from {
        font-weight: 700;
      }
      .system {
        color: var(--muted);
        font-style: italic;
      }
      form {
        display: flex;
        gap: 0.5rem;
      }
      input {
        flex: 1 1 auto;
        min-width: 0;
      }
      .refusal {
        margin: 0;
        color: var(--danger);
      }
      summary {
        cursor: pointer;
        padding: 0.25rem 0;
      }
      label.mute {
        display: flex;
        gap: 0.5rem;
        align-items: center;
        min-height: 2rem;
      }
      label.mute input {
        min-height: auto;
        width: 1.1rem;
        height: 1.1rem;
      }
    `,
  ];

  declare lines: readonly ChatLine[];
  /** The newest line that came as history (a late joiner's): not news, not announced. */
  declare historyUpTo: number;
  declare refusal: ChatRefusal | undefined;
  /** The others the host may mute (empty for guests: they mute no one). */
  declare people: readonly { readonly id: number; readonly name: string }[];
  declare muted: ReadonlySet<number>;
  /** This player's id: its own messages are not read back to it. */
  declare you: number | undefined;
  declare overGame: boolean;
  declare open: boolean;
  declare announcement: string;
  /** The newest line seen: lines after it while closed are "new". */
  private seenSeq = -1;
  private announcedSeq = -1;

  constructor() {
    super();
    this.lines = [];
    this.historyUpTo = -1;
    this.refusal = undefined;
    this.people = [];
    this.muted = new Set();
    this.you = undefined;
    this.overGame = false;
    this.open = false;
    this.announcement = '';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('keydown', this.onWindowKey);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('keydown', this.onWindowKey);
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (!changed.has('lines')) return;
    const newest = this.lines.at(-1);
    if (newest === undefined) return;
    // A panel made with lines already there (the lobby became the game view) has said them.
    if (!this.hasUpdated) {
      this.announcedSeq = newest.seq;
      this.seenSeq = newest.seq;
      return;
    }
    // History is not news; messages after it are said once (system lines are joins, leaves and
    // host changes, which the app's own live region says).
    const since = Math.max(this.announcedSeq, this.historyUpTo);
    const said = this.lines.filter(
      (l) => l.seq > since && l.from !== undefined && l.from !== this.you,
    );
    if (said.length > 0) this.announcement = said.map((l) => `${l.name}: ${l.text}`).join('. ');
    this.announcedSeq = newest.seq;
    if (this.open) this.seenSeq = newest.seq;
    else this.seenSeq = Math.max(this.seenSeq, this.historyUpTo);
  }

  protected override updated(changed: PropertyValues<this>): void {
    const log = this.renderRoot.querySelector('ol');
    if (log && (changed.has('lines') || changed.has('open'))) log.scrollTop = log.scrollHeight;
    if (changed.has('open') && changed.get('open') !== undefined) {
      const target = this.open ? 'input' : 'button.toggle';
      this.renderRoot.querySelector<HTMLElement>(target)?.focus();
    }
  }

  override render() {
    return html`
      ${this.open ? this.panel() : this.toggle()}
      <p class="sr-only" aria-live="polite" data-testid="chat-announcer">${this.announcement}</p>
    `;
  }

  private toggle() {
    const unread = this.lines.filter(
      (l) => l.seq > this.seenSeq && l.from !== undefined && l.from !== this.you,
    ).length;
    return html`<button class="toggle secondary" aria-keyshortcuts="Enter" @click=${() => this.setOpen(true)}
      >Chat${unread > 0 ? ` (${unread} new)` : ''}</button>`;
  }

  private panel() {
    return html`<section class="panel" aria-labelledby="chat-title" @keydown=${this.onPanelKey}>
      <div class="head">
        <h2 id="chat-title">Chat</h2>
        <button class="secondary" aria-keyshortcuts="Escape" @click=${() => this.setOpen(false)}>Close chat</button>
      </div>
      <ol aria-label="Chat messages" tabindex="0">
        ${this.lines.map((l) =>
          l.from === undefined
            ? html`<li class="system" data-seq=${l.seq}>${l.text}</li>`
            : html`<li data-seq=${l.seq}><span class="from">${l.name}</span>: <span class="text">${l.text}</span></li>`,
        )}
      </ol>
      <form @submit=${this.send}>
        <input name="message" aria-label="Message" autocomplete="off" enterkeyhint="send"
          maxlength=${CHAT_LIMITS.TEXT_CHARS} .value=${this.draft} @keydown=${this.onInputKey}
          @input=${(e: Event) => {
            this.draft = (e.target as HTMLInputElement).value;
          }} />
        <button type="submit">Send</button>
      </form>
      ${this.refusal ? html`<p class="refusal" role="status" data-testid="chat-refusal">${REFUSAL_TEXT[this.refusal]}</p>` : ''}
      ${
        this.people.length > 0
          ? html`<details>
              <summary>Mute players</summary>
              ${this.people.map(
                (
                  p,
                ) => html`<label class="mute"><input type="checkbox" .checked=${this.muted.has(p.id)}
                  @keydown=${this.onInputKey}
                  @change=${(e: Event) => emit(this, 'lp-mute', { id: p.id, muted: (e.target as HTMLInputElement).checked })} />
                  Mute ${p.name}</label>`,
              )}
            </details>`
          : ''
      }
    </section>`;
  }

  /** What was typed and not sent: closing the chat (Esc) keeps it for the next opening. */
  private draft = '';

  private setOpen(open: boolean): void {
    this.open = open;
    if (open) this.seenSeq = this.lines.at(-1)?.seq ?? this.seenSeq;
  }

  private send(e: SubmitEvent): void {
    e.preventDefault();
    const input = this.renderRoot.querySelector('input');
    const text = input?.value.trim() ?? '';
    if (!input || text === '') return;
    emit(this, 'lp-chat-send', { text });
    input.value = '';
    this.draft = '';
  }

  /** Typing is for the chat alone: the game's key listeners on the window never see it. */
  private onInputKey(e: KeyboardEvent): void {
    if (e.key !== 'Escape') e.stopPropagation();
  }

  private readonly onPanelKey = (e: KeyboardEvent): void => {
    if (e.key !== 'Escape') return;
    e.preventDefault();
    e.stopPropagation();
    this.setOpen(false);
  };

  /** Enter opens the chat, unless it was meant for a control; Esc closes it from anywhere. */
  private readonly onWindowKey = (e: KeyboardEvent): void => {
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === 'Escape' && this.open) {
      this.setOpen(false);
      return;
    }
    if (e.key !== 'Enter' || this.open) return;
    const target = e.composedPath()[0];
    if (target instanceof Element && target.closest(INTERACTIVE)) return;
    e.preventDefault();
    this.setOpen(true);
  };
}

customElements.define('lp-chat', LpChat);

declare global {
  interface HTMLElementTagNameMap {
    'lp-chat': LpChat;
  }
  interface HTMLElementEventMap {
    'lp-chat-send': CustomEvent<{ text: string }>;
  }
}
