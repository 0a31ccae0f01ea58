import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** Vitest global setup: the served web app and the server bundle must exist and be current. */
export default function setup(): void {
  execFileSync(
    process.execPath,
    [join(import.meta.dirname, '../../esbuild.config.mjs'), '--if-needed'],
    {
      stdio: 'inherit',
    },
  );
}
