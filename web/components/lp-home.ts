import { css, html, LitElement } from 'lit';
import { formatLobbyCode, normalizeLobbyCode } from '../../shared/protocol/lobby-code.ts';
import { base, emit } from './styles.ts';

export interface CreateDetail {
  readonly name: string;
}
export interface JoinDetail {
  readonly name: string;
  readonly code: string;
}

/**
 * The start page: a name (remembered), "Create lobby", and "Join" by code. Opened from a share
 * link (`code` set) it only asks for the name. Emits `lp-create` and `lp-join`.
 */
export class LpHome extends LitElement {
  static override properties = {
    name: { type: String },
    code: { type: String },
    busy: { type: Boolean },
    codeError: { state: true },
  };
  static override styles = [
    base,
    css`
      :host {
        display: block;
      }
      h1 {
        font-size: clamp(2rem, 8vw, 3rem);
        margin: 0 0 0.25rem;
        letter-spacing: -0.02em;
      }
      p.tagline {
        margin: 0 0 1.5rem;
      }
      form {
        display: grid;
        gap: 1rem;
      }
      label {
        display: grid;
        gap: 0.35rem;
        font-weight: 600;
      }
      .row {
        display: flex;
        gap: 0.5rem;
        flex-wrap: wrap;
      }
      .row input {
        flex: 1 1 10rem;
        text-transform: uppercase;
        letter-spacing: 0.08em;
      }
      .choice button {
        flex: 1 1 8rem;
      }
      .or {
        text-align: center;
        margin: 0.25rem 0;
      }
      [role='alert'] {
        color: var(--danger);
        margin: 0;
      }
      .code {
        font-family: ui-monospace, monospace;
        font-size: 1.4rem;
        letter-spacing: 0.1em;
      }
    `,
  ];

  declare name: string;
  declare code: string;
  declare busy: boolean;
  declare codeError: string;

  constructor() {
    super();
    this.name = '';
    this.code = '';
    this.busy = false;
    this.codeError = '';
  }

  override render() {
    const joining = this.code !== '';
    return html`
      <h1>lanparty</h1>
      <p class="tagline muted">Tag with friends in the browser. One link, no installs.</p>
      <form class="panel" @submit=${this.submit} novalidate>
        ${joining ? html`<p>Joining lobby <span class="code">${formatLobbyCode(this.code)}</span></p>` : ''}
        <label>
          Name
          <input name="name" .value=${this.name} required maxlength="24" autocomplete="nickname" @input=${this.nameInput} />
        </label>
        ${
          joining
            ? html`<div class="row choice">
                <button type="submit" ?disabled=${this.busy}>Join</button>
                <button type="button" class="secondary" ?disabled=${this.busy} @click=${this.watch}>Watch</button>
              </div>`
            : html`
                <button type="submit" name="create" ?disabled=${this.busy}>Create lobby</button>
                <p class="or muted">or join a friend's lobby</p>
                <label for="code">Code</label>
                <div class="row">
                  <input id="code" name="code" placeholder="ABCD-EFGH-JKMNP" autocomplete="off" spellcheck="false" aria-describedby="code-error" />
                  <button type="button" class="secondary" ?disabled=${this.busy} @click=${this.joinByCode}>Join</button>
                </div>
                <p id="code-error" role="alert">${this.codeError}</p>
              `
        }
      </form>
    `;
  }

  private nameInput(e: InputEvent): void {
    this.name = (e.target as HTMLInputElement).value;
  }

  private validName(): string | undefined {
    const name = this.name.trim();
    if (name === '') {
      this.renderRoot.querySelector<HTMLInputElement>('input[name=name]')?.focus();
      this.codeError = 'Enter your name first.';
      return undefined;
    }
    return name;
  }

  private submit(e: SubmitEvent): void {
    e.preventDefault();
    const name = this.validName();
    if (name === undefined) return;
    if (this.code) emit<JoinDetail>(this, 'lp-join', { name, code: this.code });
    else emit<CreateDetail>(this, 'lp-create', { name });
  }

  /** Watches the lobby of the share link instead of taking a seat. */
  private watch(): void {
    const name = this.validName();
    if (name !== undefined) emit<JoinDetail>(this, 'lp-watch', { name, code: this.code });
  }

  private joinByCode(): void {
    const input = this.renderRoot.querySelector<HTMLInputElement>('#code');
    const code = normalizeLobbyCode(input?.value ?? '');
    if (code === undefined) {
      this.codeError = 'A lobby code has 13 letters and digits, like ABCD-EFGH-JKMNP.';
      input?.focus();
      return;
    }
    const name = this.validName();
    if (name === undefined) return;
    this.codeError = '';
    emit<JoinDetail>(this, 'lp-join', { name, code });
  }
}

customElements.define('lp-home', LpHome);

declare global {
  interface HTMLElementTagNameMap {
    'lp-home': LpHome;
  }
  interface HTMLElementEventMap {
    'lp-create': CustomEvent<CreateDetail>;
    'lp-join': CustomEvent<JoinDetail>;
    'lp-watch': CustomEvent<JoinDetail>;
  }
}
