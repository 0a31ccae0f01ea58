import { screenToWorld } from '../../render/canvas.ts';
import { type GameModule, settingValue } from '../game-module.ts';
import { watchKeyboard } from './keyboard-input.ts';
import { TagRenderer } from './renderer.ts';
import { createTag, type TagInput, type TagState, TICK_RATE } from './sim/index.ts';
import { watchJoystick } from './touch-joystick.ts';

const seconds = (ticks: number) => Math.max(0, Math.ceil(ticks / TICK_RATE));

const ROUND = {
  key: 'round',
  label: 'Round length',
  unit: 's',
  choices: [30, 60, 90, 120, 180],
  min: 5,
  max: 600,
  default: 90,
} as const;

/**
 * Tag in the app: its rules (./sim/), canvas, keys and touch joystick, HUD. The registry loads
 * this file on demand (its own chunk), so it exports the module under the name every game uses.
 */
export const gameModule: GameModule<TagState, TagInput> = {
  id: 'tag',
  name: 'Tag',
  summary: 'One player is "it": touch someone to pass it on. Least time as "it" wins.',
  players: { min: 1, max: 16 },
  settings: [ROUND],
  controls: 'Game arena: move with the arrow keys or WASD, or drag on a touch screen',
  create: (settings) => createTag({ roundSeconds: settingValue(ROUND, settings) }),
  renderer: (canvas) => new TagRenderer(canvas),
  watchInput({ keys, surface, turned }, onInput) {
    // Keys and the joystick steer on screen; the arena may be drawn turned on a tall screen.
    const steer = (input: TagInput) => onInput(screenToWorld(input, turned()));
    const stops = [watchKeyboard(keys, steer), watchJoystick(surface, steer)];
    return () => {
      for (const stop of stops) stop();
    };
  },
  hud(state, { you, name, spectator }) {
    const mine = state.players.find((p) => p.id === you);
    const scoreboard = state.phase === 'scoreboard';
    const left = seconds(state.phaseEnd - state.tick);
    return {
      heading: `Tag, round ${state.round}`,
      chips: [
        ...(spectator ? [] : [{ id: 'score', text: `Score ${seconds(mine?.score ?? 0)}` }]),
        { id: 'timer', text: `${scoreboard ? 'Next round' : 'Time left'} ${left} s` },
        {
          id: 'it',
          alert: true,
          text:
            state.it === you
              ? 'You are it!'
              : state.it >= 0
                ? `${name(state.it)} is it`
                : 'Waiting for players',
        },
      ],
      ...(scoreboard
        ? {
            board: {
              title: `Round ${state.round} — scores`,
              lines: state.lastRound.map(
                (r) => `${name(r.id)}${r.id === you ? ' (you)' : ''}: ${seconds(r.score)} s`,
              ),
              footer: `Next round in ${left} s`,
            },
          }
        : {}),
    };
  },
};
