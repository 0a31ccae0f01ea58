import { css } from 'lit';

/** The dark colours (AA contrast on the dark background), for the dark scheme and the game view. */
export const darkPalette = css`
  --bg: #0f1221;
  --panel: #191d33;
  --text: #eef0ff;
  --muted: #b4b9da;
  --accent: #8b93ff;
  --accent-text: #0f1221;
  --danger: #ff8a80;
  --ok: #6ee7a8;
  --warn: #ffc46b;
  --line: #30365a;
`;

/** Shared look: colours with AA contrast in light and dark schemes, focus rings, buttons. */
export const base = css`
  :host {
    --bg: #f6f7fb;
    --panel: #ffffff;
    --text: #15182b;
    --muted: #4a5070;
    --accent: #4338ca;
    --accent-text: #ffffff;
    --danger: #b3261e;
    --ok: #146c43;
    --warn: #8a5300;
    --line: #d5d8e6;
    --radius: 12px;
    color: var(--text);
    font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
  }
  @media (prefers-color-scheme: dark) {
    :host {
      ${darkPalette}
    }
  }
  button,
  input {
    font: inherit;
    border-radius: 10px;
    min-height: 44px;
  }
  button {
    cursor: pointer;
    border: 2px solid var(--accent);
    background: var(--accent);
    color: var(--accent-text);
    padding: 0.5rem 1rem;
    font-weight: 600;
  }
  button.secondary {
    background: transparent;
    color: var(--accent);
  }
  button.danger {
    border-color: var(--danger);
    background: transparent;
    color: var(--danger);
  }
  button:disabled {
    opacity: 0.55;
    cursor: not-allowed;
  }
  input {
    border: 2px solid var(--line);
    background: var(--panel);
    color: var(--text);
    padding: 0.5rem 0.75rem;
  }
  :focus-visible {
    outline: 3px solid var(--accent);
    outline-offset: 2px;
  }
  .panel {
    background: var(--panel);
    border: 1px solid var(--line);
    border-radius: var(--radius);
    padding: 1.25rem;
  }
  .muted {
    color: var(--muted);
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
  @media (prefers-reduced-motion: reduce) {
    * {
      transition: none !important;
      animation: none !important;
    }
  }
`;

/** A typed event that crosses shadow roots. */
export function emit<T>(target: EventTarget, name: string, detail: T): void {
  target.dispatchEvent(new CustomEvent<T>(name, { detail, bubbles: true, composed: true }));
}
