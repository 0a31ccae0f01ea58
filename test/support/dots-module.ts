import type { GameModule } from '../../web/games/game-module.ts';
import { type DotsInput, type DotsState, dots } from './dots-game.ts';

/**
 * The engine's test game as an app module: what a third game needs beyond its rules — a
 * renderer, an input mapping and a HUD — in the fewest lines. Registered only by tests.
 */
export const dotsModule: GameModule<DotsState, DotsInput> = {
  id: 'dots',
  name: 'Dots',
  summary: 'Every player is a dot. That is all.',
  players: { min: 1, max: 8 },
  settings: [],
  controls: 'Dots arena: move with the arrow keys',
  create: () => dots,
  renderer(canvas) {
    const ctx = canvas.getContext('2d');
    return {
      rotated: false,
      draw(state) {
        if (!ctx) return;
        ctx.clearRect(0, 0, canvas.width, canvas.height);
        for (const d of state.dots)
          ctx.fillRect((d.x / 1000) * canvas.width, (d.y / 1000) * canvas.height, 4, 4);
      },
    };
  },
  watchInput({ keys }, onInput) {
    const arrows: Record<string, DotsInput> = {
      ArrowLeft: { dx: -1, dy: 0 },
      ArrowRight: { dx: 1, dy: 0 },
      ArrowUp: { dx: 0, dy: -1 },
      ArrowDown: { dx: 0, dy: 1 },
    };
    const down = (e: KeyboardEvent) => {
      const input = arrows[e.code];
      if (input) onInput(input);
    };
    keys.addEventListener('keydown', down);
    return () => keys.removeEventListener('keydown', down);
  },
  hud: (state) => ({
    heading: 'Dots',
    chips: [{ id: 'timer', text: `Tick ${state.tick}` }],
  }),
};
