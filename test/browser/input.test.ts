/// <reference types="mocha" />
import { expect } from 'chai';
import {
  SWIPE_MIN_PX,
  screenToWorldDir,
  swipeDir,
  watchSteering,
} from '../../web/games/light-cycles/input.ts';
import { Dir, NO_TURN } from '../../web/games/light-cycles/sim/index.ts';
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

/** Light cycles steering in real Chromium: keys and swipes turn into headings. */
describe('light cycles input', () => {
  it('arrows and WASD ask for a heading; typing in a field is not steering; a turned arena turns them', () => {
    const surface = document.createElement('div');
    document.body.append(surface);
    let turned = false;
    const seen: number[] = [];
    const stop = watchSteering(
      window,
      surface,
      () => turned,
      (i) => seen.push(i.dir),
    );
    const key = (code: string, target: EventTarget = window) =>
      target.dispatchEvent(new KeyboardEvent('keydown', { code, bubbles: true, cancelable: true }));
    key('ArrowUp');
    key('KeyD');
    key('ArrowDown');
    key('KeyA');
    key('KeyQ');
    const field = document.createElement('input');
    document.body.append(field);
    key('ArrowLeft', field);
    // Drawn turned a quarter (a phone held upright): screen right is world up.
    turned = true;
    key('ArrowRight');
    key('ArrowDown');
    stop();
    key('ArrowUp');
    field.remove();
    surface.remove();
    expect(seen).to.deep.equal([Dir.UP, Dir.RIGHT, Dir.DOWN, Dir.LEFT, Dir.UP, Dir.RIGHT]);
  });

  it('a swipe turns once it is 24 px long; a bending swipe turns again; mouse drags do nothing', () => {
    expect(swipeDir(10, 5)).to.equal(NO_TURN);
    expect(swipeDir(SWIPE_MIN_PX, 0)).to.equal(Dir.RIGHT);
    expect(swipeDir(-5, -30)).to.equal(Dir.UP);
    expect(screenToWorldDir(Dir.LEFT, true)).to.equal(Dir.DOWN);
    const surface = document.createElement('div');
    surface.style.cssText = 'position:fixed;inset:0';
    document.body.append(surface);
    const seen: number[] = [];
    const stop = watchSteering(
      window,
      surface,
      () => false,
      (i) => seen.push(i.dir),
    );
    expect(surface.style.touchAction).to.equal('none');
    const touch = (type: string, x: number, y: number, pointerType = 'touch') =>
      surface.dispatchEvent(
        new PointerEvent(type, {
          pointerId: 3,
          pointerType,
          clientX: x,
          clientY: y,
          bubbles: true,
          cancelable: true,
        }),
      );
    touch('pointerdown', 100, 100, 'mouse');
    touch('pointermove', 300, 100, 'mouse');
    touch('pointerdown', 100, 100);
    touch('pointermove', 110, 100);
    touch('pointermove', 140, 100);
    touch('pointermove', 142, 160);
    touch('pointerup', 142, 160);
    touch('pointermove', 100, 100);
    stop();
    surface.remove();
    expect(seen).to.deep.equal([Dir.RIGHT, Dir.DOWN]);
  });
});
