import { type Dir, type LightInput, NO_TURN } from './sim/index.ts';

/** Screen headings of the steering keys (up, right, down, left as in `Dir`). */
const KEYS: Record<string, Dir> = {
  ArrowUp: 0,
  ArrowRight: 1,
  ArrowDown: 2,
  ArrowLeft: 3,
  KeyW: 0,
  KeyD: 1,
  KeyS: 2,
  KeyA: 3,
};

/** How far (CSS pixels) a finger travels before a swipe counts. */
export const SWIPE_MIN_PX = 24;

/**
 * A heading on screen as a heading in the world: when the arena is drawn turned a quarter
 * (world +x down the screen), screen right is world up, screen down is world right, and so on.
 */
export function screenToWorldDir(dir: Dir, turned: boolean): Dir {
  return turned ? (((dir + 3) % 4) as Dir) : dir;
}

/** The heading of a swipe of `dx, dy` pixels, or NO_TURN while it is shorter than a swipe. */
export function swipeDir(dx: number, dy: number): Dir | typeof NO_TURN {
  if (Math.hypot(dx, dy) < SWIPE_MIN_PX) return NO_TURN;
  return Math.abs(dx) > Math.abs(dy) ? (dx > 0 ? 1 : 3) : dy > 0 ? 2 : 0;
}

/**
 * Steering: an arrow key or WASD turns towards that heading on screen; on a touch screen, a
 * swipe does (a long swipe that bends turns again at each bend). A turn is held until the next
 * one, so it is taken at the next cell however late the tick comes. Typing in a field is not
 * steering. Returns a stop function.
 */
export function watchSteering(
  keys: Window,
  surface: HTMLElement,
  turned: () => boolean,
  onInput: (input: LightInput) => void,
): () => void {
  const steer = (screen: Dir) => onInput({ dir: screenToWorldDir(screen, turned()) });
  const down = (e: KeyboardEvent) => {
    const dir = KEYS[e.code];
    if (dir === undefined || e.altKey || e.ctrlKey || e.metaKey) return;
    if (
      e.target instanceof Element &&
      e.target.closest('input, textarea, select, [contenteditable]')
    )
      return;
    e.preventDefault();
    steer(dir);
  };
  let swipe: { id: number; x: number; y: number } | undefined;
  const start = (e: PointerEvent) => {
    if (e.pointerType !== 'touch' || swipe) return;
    e.preventDefault();
    swipe = { id: e.pointerId, x: e.clientX, y: e.clientY };
  };
  const move = (e: PointerEvent) => {
    if (e.pointerId !== swipe?.id) return;
    e.preventDefault();
    const dir = swipeDir(e.clientX - swipe.x, e.clientY - swipe.y);
    if (dir === NO_TURN) return;
    steer(dir);
    swipe = { id: e.pointerId, x: e.clientX, y: e.clientY };
  };
  const end = (e: PointerEvent) => {
    if (e.pointerId === swipe?.id) swipe = undefined;
  };
  // Without this the browser would scroll or zoom instead of steering.
  const previous = surface.style.touchAction;
  surface.style.touchAction = 'none';
  keys.addEventListener('keydown', down);
  surface.addEventListener('pointerdown', start);
  surface.addEventListener('pointermove', move);
  surface.addEventListener('pointerup', end);
  surface.addEventListener('pointercancel', end);
  return () => {
    surface.style.touchAction = previous;
    keys.removeEventListener('keydown', down);
    surface.removeEventListener('pointerdown', start);
    surface.removeEventListener('pointermove', move);
    surface.removeEventListener('pointerup', end);
    surface.removeEventListener('pointercancel', end);
  };
}
