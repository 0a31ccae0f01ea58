import type { TagInput } from './sim/index.ts';

const KEYS: Record<string, readonly [number, number]> = {
  ArrowLeft: [-1, 0],
  ArrowRight: [1, 0],
  ArrowUp: [0, -1],
  ArrowDown: [0, 1],
  KeyA: [-1, 0],
  KeyD: [1, 0],
  KeyW: [0, -1],
  KeyS: [0, 1],
};

/** The movement the held keys ask for: a vector of length 127 (diagonals too), or zero. */
export function vectorFor(held: ReadonlySet<string>): TagInput {
  let x = 0;
  let y = 0;
  for (const code of held) {
    const k = KEYS[code];
    if (k) {
      x += k[0];
      y += k[1];
    }
  }
  x = Math.sign(x);
  y = Math.sign(y);
  const length = Math.hypot(x, y) || 1;
  return { dx: Math.round((x / length) * 127), dy: Math.round((y / length) * 127) };
}

/**
 * Arrow keys and WASD on `target`. Keys are forgotten when the window loses focus, so a player
 * does not keep running after switching tabs. Returns a stop function.
 */
export function watchKeyboard(target: Window, onChange: (input: TagInput) => void): () => void {
  const held = new Set<string>();
  const update = () => onChange(vectorFor(held));
  const down = (e: KeyboardEvent) => {
    if (!(e.code in KEYS) || e.altKey || e.ctrlKey || e.metaKey) return;
    // Typing in a field is not steering.
    if (
      e.target instanceof Element &&
      e.target.closest('input, textarea, select, [contenteditable]')
    )
      return;
    e.preventDefault();
    if (!held.has(e.code)) {
      held.add(e.code);
      update();
    }
  };
  const up = (e: KeyboardEvent) => {
    if (held.delete(e.code)) update();
  };
  const blur = () => {
    held.clear();
    update();
  };
  target.addEventListener('keydown', down);
  target.addEventListener('keyup', up);
  target.addEventListener('blur', blur);
  return () => {
    target.removeEventListener('keydown', down);
    target.removeEventListener('keyup', up);
    target.removeEventListener('blur', blur);
  };
}
