/// <reference types="mocha" />
import { expect } from 'chai';
import { vectorFor, watchKeyboard } from '../../web/games/tag/keyboard-input.ts';
import {
  JOYSTICK_RADIUS,
  joystickVector,
  watchJoystick,
} from '../../web/games/tag/touch-joystick.ts';

/** Player input in real Chromium: keys and a touch joystick turn into movement vectors. */
describe('input', () => {
  it('arrows and WASD give unit vectors of length 127, diagonals included', () => {
    expect(vectorFor(new Set(['ArrowRight']))).to.deep.equal({ dx: 127, dy: 0 });
    expect(vectorFor(new Set(['KeyW', 'KeyA']))).to.deep.equal({ dx: -90, dy: -90 });
    expect(vectorFor(new Set(['ArrowLeft', 'ArrowRight']))).to.deep.equal({ dx: 0, dy: 0 });
  });

  it('follows real key events, ignores typing in a field, and stops when the window loses focus', () => {
    const seen: { dx: number; dy: number }[] = [];
    const stop = watchKeyboard(window, (i) => seen.push(i));
    window.dispatchEvent(new KeyboardEvent('keydown', { code: 'KeyD', bubbles: true }));
    window.dispatchEvent(new KeyboardEvent('keydown', { code: 'KeyS', bubbles: true }));
    const field = document.createElement('input');
    document.body.append(field);
    field.dispatchEvent(new KeyboardEvent('keydown', { code: 'KeyA', bubbles: true }));
    window.dispatchEvent(new Event('blur'));
    stop();
    field.remove();
    expect(seen).to.deep.equal([
      { dx: 127, dy: 0 },
      { dx: 90, dy: 90 },
      { dx: 0, dy: 0 },
    ]);
  });

  it('a touch joystick steers with the thumb, full speed at the rim, and stops on release', () => {
    expect(joystickVector(JOYSTICK_RADIUS * 2, 0)).to.deep.equal({ dx: 127, dy: 0 });
    expect(joystickVector(0, JOYSTICK_RADIUS / 2)).to.deep.equal({ dx: 0, dy: 64 });
    expect(joystickVector(1, 1)).to.deep.equal({ dx: 0, dy: 0 });
    const surface = document.createElement('div');
    surface.style.cssText = 'position:fixed;inset:0';
    document.body.append(surface);
    const seen: { dx: number; dy: number }[] = [];
    const stop = watchJoystick(surface, (i) => seen.push(i));
    const touch = (type: string, x: number, y: number, pointerType = 'touch') =>
      surface.dispatchEvent(
        new PointerEvent(type, {
          pointerId: 7,
          pointerType,
          clientX: x,
          clientY: y,
          bubbles: true,
          cancelable: true,
        }),
      );
    touch('pointerdown', 100, 100, 'mouse');
    touch('pointermove', 300, 100, 'mouse');
    expect(seen).to.deep.equal([]);
    touch('pointerdown', 100, 100);
    touch('pointermove', 100 - JOYSTICK_RADIUS, 100);
    touch('pointerup', 100 - JOYSTICK_RADIUS, 100);
    stop();
    surface.remove();
    expect(seen).to.deep.equal([
      { dx: -127, dy: 0 },
      { dx: 0, dy: 0 },
    ]);
  });
});
