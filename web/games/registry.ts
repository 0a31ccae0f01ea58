import type { Game } from '../../shared/sim/game.ts';
import { type AnyGameModule, type GameSettings, settingValue } from './game-module.ts';
import { lightCycles } from './light-cycles/index.ts';
import { tag } from './tag/index.ts';

/** The games of a page, by id; the first is the lobby's default. */
export class GameRegistry {
  readonly list: readonly AnyGameModule[];
  private readonly byId: ReadonlyMap<string, AnyGameModule>;

  constructor(modules: readonly AnyGameModule[]) {
    if (modules.length === 0) throw new Error('a registry needs at least one game');
    const byId = new Map<string, AnyGameModule>();
    for (const m of modules) {
      // A module whose rules answer to another id could never be found by a guest.
      const ruleId = m.create({}).id;
      if (ruleId !== m.id) throw new Error(`module ${m.id} creates the game ${ruleId}`);
      if (byId.has(m.id)) throw new Error(`two games with the id ${m.id}`);
      byId.set(m.id, m);
    }
    this.list = modules;
    this.byId = byId;
  }

  /** The default game (the first). */
  get first(): AnyGameModule {
    return this.list[0] as AnyGameModule;
  }

  get(id: string): AnyGameModule | undefined {
    return this.byId.get(id);
  }

  /**
   * The rules for a game id a host's snapshot names, built with defaults (the host's settings
   * are in its state); undefined when this page does not have that game.
   */
  rules(id: string): Game<unknown, unknown> | undefined {
    return this.byId.get(id)?.create({});
  }

  /** Every setting of a game at its value in `settings`, defaults filling the gaps. */
  settings(id: string, settings: GameSettings = {}): GameSettings {
    const m = this.byId.get(id);
    return Object.fromEntries((m?.settings ?? []).map((s) => [s.key, settingValue(s, settings)]));
  }
}

/** Every game this app plays. A new game is one folder of web/games/ and one entry here. */
export const games = new GameRegistry([tag, lightCycles]);
