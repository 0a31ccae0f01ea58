import { type GameModule, settingValue } from '../game-module.ts';
import { watchSteering } from './input.ts';
import { LightCyclesRenderer } from './renderer.ts';
import {
  COUNTDOWN_TICKS,
  createLightCycles,
  type LightInput,
  type LightState,
  SCOREBOARD_TICKS,
  TICK_RATE,
} from './sim/index.ts';

const seconds = (ticks: number) => Math.max(0, Math.ceil(ticks / TICK_RATE));

const SPEED = {
  key: 'speed',
  label: 'Speed',
  unit: 'cells/s',
  choices: [10, 15, 20],
  min: 6,
  max: 30,
  default: 15,
} as const;

const wins = (n: number) => `${n} ${n === 1 ? 'win' : 'wins'}`;

/**
 * Light cycles in the app: its rules (./sim/), canvas, keys and swipes, HUD. The registry loads
 * this file on demand (its own chunk), so it exports the module under the name every game uses.
 */
export const gameModule: GameModule<LightState, LightInput> = {
  id: 'light-cycles',
  name: 'Light cycles',
  summary: 'Ride, leave a wall behind you, make the others crash into it. Last one riding wins.',
  players: { min: 2, max: 16 },
  settings: [SPEED],
  controls: 'Light cycles arena: turn with the arrow keys or WASD, or swipe on a touch screen',
  create: (settings) =>
    createLightCycles({ ticksPerCell: Math.round(TICK_RATE / settingValue(SPEED, settings)) }),
  renderer: (canvas) => new LightCyclesRenderer(canvas),
  watchInput: ({ keys, surface, turned }, onInput) => watchSteering(keys, surface, turned, onInput),
  hud(s, { you, name, spectator }) {
    const mine = s.cycles.find((c) => c.id === you);
    const riding = s.cycles.filter((c) => c.status === 'riding').length;
    const inRound = s.cycles.filter((c) => c.status !== 'waiting').length;
    const timer =
      s.phase === 'countdown'
        ? `Starts in ${seconds(COUNTDOWN_TICKS - (s.tick - s.since))} s`
        : s.phase === 'riding'
          ? `Riding ${seconds(s.tick - s.since)} s`
          : `Next round ${seconds(SCOREBOARD_TICKS - (s.tick - s.since))} s`;
    // "Riding 12 s" is the round's time; the status chip says how this player is doing.
    const status =
      mine === undefined || mine.status === 'waiting'
        ? 'Next round you ride'
        : s.phase === 'scoreboard' && s.winner === you
          ? 'You won!'
          : mine.status === 'crashed'
            ? 'Crashed'
            : 'Riding';
    const ranked = [...s.cycles].sort((a, b) => b.wins - a.wins || a.id - b.id);
    return {
      heading: `Light cycles, round ${s.round}`,
      chips: spectator
        ? [
            { id: 'timer', text: timer },
            { id: 'riders', text: `${riding}/${inRound} riding` },
          ]
        : [
            { id: 'score', text: wins(mine?.wins ?? 0) },
            { id: 'timer', text: timer },
            { id: 'riders', text: `${riding}/${inRound} riding` },
            { id: 'status', text: status, alert: mine?.status === 'crashed' },
          ],
      ...(s.phase === 'scoreboard'
        ? {
            board: {
              title: `Round ${s.round} — scores`,
              summary:
                s.winner >= 0
                  ? `${name(s.winner)}${s.winner === you ? ' (you)' : ''} won the round`
                  : 'A draw: the last riders crashed at once',
              lines: ranked.map(
                (c) => `${name(c.id)}${c.id === you ? ' (you)' : ''}: ${wins(c.wins)}`,
              ),
              footer: `Next round in ${seconds(SCOREBOARD_TICKS - (s.tick - s.since))} s`,
            },
          }
        : {}),
    };
  },
};
