import type { Game } from '../../shared/sim/game.ts';
import type { PlayerLabel } from '../render/canvas.ts';

/**
 * A game as the app knows it: the pure rules (`create`, shared with every peer), how it looks
 * (`renderer`), how a player steers (`watchInput`), what the HUD and the scoreboard say (`hud`),
 * and what the host may choose in the lobby (`settings`). One module per folder of web/games/,
 * listed in web/games/registry.ts; nothing else in the app names a particular game.
 */
export interface GameModule<S, I> {
  /** The rules' id (`Game.id`): full snapshots carry it, and guests load the module by it. */
  readonly id: string;
  /** Its name in the lobby and the page title. */
  readonly name: string;
  /** One line for the game picker. */
  readonly summary: string;
  /** How many players it is made for (the lobby refuses to start outside this range). */
  readonly players: { readonly min: number; readonly max: number };
  /** What the host picks before starting; the values travel inside the game state. */
  readonly settings: readonly GameSetting[];
  /** How to play, as the arena's accessible name. */
  readonly controls: string;

  /** The rules with these settings (missing or invalid ones take their default). */
  create(settings: GameSettings): Game<S, I>;
  renderer(canvas: HTMLCanvasElement): GameRenderer<S>;
  /**
   * Listens for this player's steering: keys on `keys`, touches on `surface`. `turned` says
   * whether the renderer drew the world turned a quarter (screen directions are then turned
   * too). Returns a stop function.
   */
  watchInput(
    target: { readonly keys: Window; readonly surface: HTMLElement; turned(): boolean },
    onInput: (input: I) => void,
  ): () => void;
  /** What the HUD and the scoreboard between rounds say about `state`. */
  hud(state: S, context: HudContext): Hud;
}

/**
 * A module of any game, the registry's element type. Its State and Input only ever meet its own
 * functions (the rules' states go to its renderer and HUD, its input mapping feeds its rules).
 */
export type AnyGameModule = GameModule<unknown, unknown>;

/**
 * A numeric setting: picked from `choices` in the lobby; a page address may ask for any whole
 * number from `min` to `max` (`?<key>=<value>`, e.g. short rounds for a demo or a test).
 */
export interface GameSetting {
  readonly key: string;
  readonly label: string;
  /** Unit shown after each value ("s"). */
  readonly unit: string;
  readonly choices: readonly number[];
  readonly min: number;
  readonly max: number;
  readonly default: number;
}

export type GameSettings = Readonly<Record<string, number>>;

/** A setting's value from `settings`, or its default when missing or out of range. */
export function settingValue(setting: GameSetting, settings: GameSettings): number {
  const v = settings[setting.key];
  return v !== undefined && Number.isInteger(v) && v >= setting.min && v <= setting.max
    ? v
    : setting.default;
}

export interface GameRenderer<S> {
  /** Whether the last frame was drawn turned a quarter (world +x pointing down the screen). */
  readonly rotated: boolean;
  draw(
    state: S,
    me: number | undefined,
    labels: ReadonlyMap<number, PlayerLabel>,
    now: number,
  ): void;
}

export interface HudContext {
  readonly you: number;
  /** Only watching: `you` has no player in the game, so no chip speaks of one. */
  readonly spectator: boolean;
  /** A player's display name. */
  name(id: number): string;
}

/** A short text in the HUD; `id` becomes its `data-testid`. */
export interface HudChip {
  readonly id: string;
  readonly text: string;
  /** Drawn with a warning border (e.g. "You are it!"). */
  readonly alert?: boolean;
}

export interface Hud {
  /** The screen's heading for screen readers ("Tag, round 2"). */
  readonly heading: string;
  readonly chips: readonly HudChip[];
  /** The scoreboard between rounds, when one shows. */
  readonly board?: {
    readonly title: string;
    /** A sentence above the list ("Gus wins the round"). */
    readonly summary?: string;
    readonly lines: readonly string[];
    readonly footer: string;
  };
}
