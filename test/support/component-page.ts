/// <reference types="mocha" />
import { emulateMedia } from '@web/test-runner-commands';
import axe from 'axe-core';
import { expect } from 'chai';

/**
 * The page around Lit components in a browser test (test/browser), one helper for every file
 * that mounts them: the page's colours as web/index.html sets them (the components draw no
 * background of their own outside their panels, so contrast depends on it), mounting with the
 * elements removed after each test, shadow-DOM queries, focus, and an axe-core audit.
 */
const pageStyle = document.createElement('style');
pageStyle.textContent = `
  body { margin: 0; background: #f6f7fb; color: #15182b; }
  @media (prefers-color-scheme: dark) { body { background: #0f1221; color: #eef0ff; } }`;
document.head.append(pageStyle);

let mounted: HTMLElement[] = [];
afterEach(async () => {
  for (const el of mounted) el.remove();
  mounted = [];
  await emulateMedia({ colorScheme: 'light' });
});

type LitTag = {
  [K in keyof HTMLElementTagNameMap]: HTMLElementTagNameMap[K] extends {
    updateComplete: Promise<unknown>;
  }
    ? K
    : never;
}[keyof HTMLElementTagNameMap];

/** Creates the element with these properties, puts it in the page and waits for its render. */
export async function mount<K extends LitTag>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> = {},
): Promise<HTMLElementTagNameMap[K]> {
  const el = document.createElement(tag);
  Object.assign(el, props);
  document.body.append(el);
  mounted.push(el);
  await (el as HTMLElementTagNameMap[K] & { updateComplete: Promise<unknown> }).updateComplete;
  return el;
}

/** The first match in the element's shadow root, or null. */
export const query = <T extends Element = HTMLElement>(el: Element, selector: string): T | null =>
  el.shadowRoot?.querySelector<T>(selector) ?? null;

/** The first match in the element's shadow root; throws when there is none. */
export const $ = <T extends Element = HTMLElement>(el: Element, selector: string): T => {
  const found = query<T>(el, selector);
  if (!found) throw new Error(`no ${selector} in ${el.localName}`);
  return found;
};

/** The element that has focus, through shadow roots. */
export function focused(): Element | null {
  let el = document.activeElement;
  while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
  return el;
}

/**
 * axe-core on one component. Page-level rules (one main landmark, one h1, everything in a
 * landmark) are about the whole page: the end-to-end test audits whole pages.
 */
export async function audit(el: Element): Promise<string[]> {
  const result = await axe.run(el, {
    rules: {
      region: { enabled: false },
      'landmark-one-main': { enabled: false },
      'page-has-heading-one': { enabled: false },
    },
    resultTypes: ['violations'],
  });
  return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.html).join(' | ')}`);
}

/** The audit in the light and the dark colour scheme: nothing found in either. */
export async function auditBothSchemes(el: Element): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await emulateMedia({ colorScheme });
    expect(await audit(el), colorScheme).to.deep.equal([]);
  }
}
