import type { Game } from '../../shared/sim/game.ts';
import { type AnyGameModule, type GameSettings, settingValue } from './game-module.ts';

/**
 * Loads one game's `module.ts`. Written as `() => import('./<game>/module.ts')`, so the bundler
 * puts the game (rules, renderer, input, HUD) in a chunk of its own, fetched the first time the
 * page needs it.
 */
export type GameLoader = () => Promise<{ readonly gameModule: AnyGameModule }>;

/**
 * The games of a page, by id, each loaded on demand; the first is the lobby's default. Ids are
 * known without loading anything (a guest can tell at once whether its page has the host's game);
 * names, settings and rules only once a game's module has loaded (`load`, `loadAll`).
 */
export class GameRegistry {
  /** Every game id, in the lobby's order. */
  readonly ids: readonly string[];
  /** The loaders by id (a test's registry adds a game to them). */
  readonly loaders: Readonly<Record<string, GameLoader>>;
  private readonly loaderById: ReadonlyMap<string, GameLoader>;
  private readonly modules = new Map<string, AnyGameModule>();
  private readonly loading = new Map<string, Promise<AnyGameModule>>();

  constructor(loaders: Readonly<Record<string, GameLoader>>) {
    this.ids = Object.keys(loaders);
    if (this.ids.length === 0) throw new Error('a registry needs at least one game');
    this.loaders = loaders;
    this.loaderById = new Map(Object.entries(loaders));
  }

  /** A registry of modules already at hand (tests, the engine's test game). */
  static of(modules: readonly AnyGameModule[]): GameRegistry {
    const loaders: Record<string, GameLoader> = {};
    for (const m of modules) {
      if (m.id in loaders) throw new Error(`two games with the id ${m.id}`);
      loaders[m.id] = async () => ({ gameModule: m });
    }
    return new GameRegistry(loaders);
  }

  /** The default game's id (the first). */
  get first(): string {
    return this.ids[0] as string;
  }

  /** Whether this page has the game `id` (loaded or not). */
  has(id: string): boolean {
    return this.loaderById.has(id);
  }

  /** The module of `id` once loaded; undefined before, or when this page does not have it. */
  get(id: string): AnyGameModule | undefined {
    return this.modules.get(id);
  }

  /** The modules loaded so far, in the lobby's order. */
  get loaded(): AnyGameModule[] {
    return this.ids.flatMap((id) => this.modules.get(id) ?? []);
  }

  /**
   * The module of `id`, loading it the first time: undefined when this page does not have that
   * game. Rejects when its chunk cannot be fetched (the server was updated under an open page:
   * a reload helps) and tries again on the next call. A module whose rules answer to another id
   * is a bug: it throws.
   */
  load(id: string): Promise<AnyGameModule | undefined> {
    const loader = this.loaderById.get(id);
    if (loader === undefined) return Promise.resolve(undefined);
    const done = this.modules.get(id);
    if (done !== undefined) return Promise.resolve(done);
    let loading = this.loading.get(id);
    if (loading === undefined) {
      loading = loader().then(
        ({ gameModule: m }) => {
          this.loading.delete(id);
          // A module answering to another id could never be found by a guest.
          const ruleId = m.create({}).id;
          if (m.id !== id || ruleId !== id)
            throw new Error(`the game ${id} loaded a module ${m.id} whose rules are ${ruleId}`);
          this.modules.set(id, m);
          return m;
        },
        (error: unknown) => {
          this.loading.delete(id);
          throw error;
        },
      );
      this.loading.set(id, loading);
    }
    return loading;
  }

  /** Every game's module (the host's game picker shows them all). */
  async loadAll(): Promise<AnyGameModule[]> {
    await Promise.all(this.ids.map((id) => this.load(id)));
    return this.loaded;
  }

  /**
   * The rules for a game id a host's snapshot names, built with defaults (the host's settings
   * are in its state); undefined when that module is not loaded or this page lacks the game.
   */
  rules(id: string): Game<unknown, unknown> | undefined {
    return this.modules.get(id)?.create({});
  }

  /**
   * What a guest's GameRunner asks for the id in a host's full snapshot: the rules at once when
   * loaded, a promise of them while the module loads, undefined when this page lacks the game.
   */
  find(
    id: string,
  ): Game<unknown, unknown> | undefined | Promise<Game<unknown, unknown> | undefined> {
    if (!this.has(id)) return undefined;
    return this.rules(id) ?? this.load(id).then((m) => m?.create({}));
  }

  /** Every setting of a loaded game at its value in `settings`, defaults filling the gaps. */
  settings(id: string, settings: GameSettings = {}): GameSettings {
    const m = this.modules.get(id);
    return Object.fromEntries((m?.settings ?? []).map((s) => [s.key, settingValue(s, settings)]));
  }
}

/**
 * Every game this app plays: one line per folder of web/games/, the first being the default.
 * Each game is one chunk, loaded when the host's picker shows or a guest learns the host's pick.
 */
export const games = new GameRegistry({
  tag: () => import('./tag/module.ts'),
  'light-cycles': () => import('./light-cycles/module.ts'),
});
