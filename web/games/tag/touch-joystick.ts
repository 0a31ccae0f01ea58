import type { TagInput } from './sim/index.ts';

/** How far (CSS pixels) the thumb travels for full speed. */
export const JOYSTICK_RADIUS = 56;

/** The input for a thumb `dx, dy` pixels from where it touched down: full speed at the rim. */
export function joystickVector(dx: number, dy: number, radius = JOYSTICK_RADIUS): TagInput {
  const length = Math.hypot(dx, dy);
  if (length < 4) return { dx: 0, dy: 0 };
  const k = Math.min(1, length / radius) / length;
  return { dx: Math.round(dx * k * 127), dy: Math.round(dy * k * 127) };
}

/**
 * A virtual joystick for touch screens: touching anywhere on `surface` places the stick there,
 * dragging steers, lifting stops. Mouse and pen are left alone (the keyboard steers there).
 * Draws itself as two circles in an overlay. Returns a stop function.
 */
export function watchJoystick(
  surface: HTMLElement,
  onChange: (input: TagInput) => void,
): () => void {
  const base = document.createElement('div');
  const knob = document.createElement('div');
  const ring = `position:fixed;border-radius:50%;pointer-events:none;display:none;transform:translate(-50%,-50%);`;
  base.style.cssText = `${ring}width:${JOYSTICK_RADIUS * 2}px;height:${JOYSTICK_RADIUS * 2}px;border:2px solid rgba(255,255,255,.35);background:rgba(255,255,255,.08);`;
  knob.style.cssText = `${ring}width:44px;height:44px;background:rgba(255,255,255,.55);`;
  base.setAttribute('aria-hidden', 'true');
  knob.setAttribute('aria-hidden', 'true');
  document.body.append(base, knob);
  let active: { id: number; x: number; y: number } | undefined;

  const place = (el: HTMLElement, x: number, y: number) => {
    el.style.left = `${x}px`;
    el.style.top = `${y}px`;
    el.style.display = 'block';
  };
  const down = (e: PointerEvent) => {
    if (e.pointerType !== 'touch' || active) return;
    e.preventDefault();
    active = { id: e.pointerId, x: e.clientX, y: e.clientY };
    try {
      // Keep the stick even when the thumb wanders off the surface.
      surface.setPointerCapture(e.pointerId);
    } catch {
      // The pointer is already gone: its pointerup follows.
    }
    place(base, e.clientX, e.clientY);
    place(knob, e.clientX, e.clientY);
  };
  const move = (e: PointerEvent) => {
    if (e.pointerId !== active?.id) return;
    e.preventDefault();
    const dx = e.clientX - active.x;
    const dy = e.clientY - active.y;
    const input = joystickVector(dx, dy);
    const k = Math.min(1, JOYSTICK_RADIUS / (Math.hypot(dx, dy) || 1));
    place(knob, active.x + dx * k, active.y + dy * k);
    onChange(input);
  };
  const up = (e: PointerEvent) => {
    if (e.pointerId !== active?.id) return;
    active = undefined;
    base.style.display = 'none';
    knob.style.display = 'none';
    onChange({ dx: 0, dy: 0 });
  };
  // Without this the browser would scroll or zoom instead of steering.
  const previous = surface.style.touchAction;
  surface.style.touchAction = 'none';
  surface.addEventListener('pointerdown', down);
  surface.addEventListener('pointermove', move);
  surface.addEventListener('pointerup', up);
  surface.addEventListener('pointercancel', up);
  return () => {
    surface.style.touchAction = previous;
    surface.removeEventListener('pointerdown', down);
    surface.removeEventListener('pointermove', move);
    surface.removeEventListener('pointerup', up);
    surface.removeEventListener('pointercancel', up);
    base.remove();
    knob.remove();
  };
}
