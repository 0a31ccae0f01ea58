import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * "A game is one folder plus one line in the registry", checked on the source tree: every folder
 * of web/games/ is a game with a `module.ts`; its pure rules (`sim/`) import only shared/ and
 * each other (tsc -p shared also compiles them without the DOM); nothing outside a game's folder
 * imports it, except the registry's one `import()` line; games do not import each other.
 */
const ROOT = join(import.meta.dirname, '../..');
const GAMES = join(ROOT, 'web/games');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Every module a file imports (static, dynamic, side-effect, re-export), resolved to a path. */
function imports(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const specs = [
    ...source.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g),
    ...source.matchAll(/export\s+[^;]*?from\s+'([^']+)'/g),
  ].map((m) => m[1] as string);
  return specs.filter((s) => s.startsWith('.')).map((s) => resolve(dirname(file), s));
}

const inside = (path: string, dir: string) => !relative(dir, path).startsWith('..');
const games = readdirSync(GAMES).filter((n) => statSync(join(GAMES, n)).isDirectory());

describe('games are folders', () => {
  it('every folder of web/games/ is a game with a module.ts, listed once in the registry', () => {
    expect(games).toEqual(expect.arrayContaining(['light-cycles', 'tag']));
    const registry = readFileSync(join(GAMES, 'registry.ts'), 'utf8');
    const lines = [
      ...registry.matchAll(/^\s*'?([a-z0-9-]+)'?: \(\) => import\('\.\/([^/]+)\/module\.ts'\),$/gm),
    ];
    expect(lines.map((m) => [m[1], m[2]]).sort()).toEqual(games.map((g) => [g, g]));
    for (const g of games) expect(statSync(join(GAMES, g, 'module.ts')).isFile()).toBe(true);
  });

  it("a game's rules (sim/) import only shared/ and its own rules: no DOM side, no other game", () => {
    for (const g of games) {
      const sim = join(GAMES, g, 'sim');
      const found = files(sim);
      expect(found.length, `${g}/sim has files`).toBeGreaterThan(0);
      for (const file of found) {
        for (const target of imports(file)) {
          const ok = inside(target, sim) || inside(target, join(ROOT, 'shared'));
          expect(ok, `${relative(ROOT, file)} imports ${relative(ROOT, target)}`).toBe(true);
        }
      }
    }
    // The rules are compiled without the DOM's types (lib ES2022 only).
    const shared = JSON.parse(readFileSync(join(ROOT, 'shared/tsconfig.json'), 'utf8'));
    expect(shared.compilerOptions.lib).toEqual(['ES2022']);
    expect(shared.include).toContain('../web/games/*/sim/**/*.ts');
  });

  it("nothing outside a game's folder imports it but the registry; games do not import each other", () => {
    const outside = ['web', 'shared', 'signaling'].flatMap((d) => files(join(ROOT, d)));
    for (const file of outside) {
      const own = games.find((g) => inside(file, join(GAMES, g)));
      for (const target of imports(file)) {
        const game = games.find((g) => inside(target, join(GAMES, g)));
        if (game === undefined || game === own) continue;
        const allowed =
          file === join(GAMES, 'registry.ts') && target === join(GAMES, game, 'module.ts');
        expect(allowed, `${relative(ROOT, file)} imports ${relative(ROOT, target)}`).toBe(true);
      }
    }
  });
});
