import uWS from 'uWebSockets.js';
import { createRequire } from 'node:module';

export type UwsEngine = 'native' | 'js-fallback';

/**
 * Which uWS engine loaded. The package silently falls back to a much slower JavaScript
 * implementation when it has no binary for this Node ABI, so the server reports it at start and
 * in its metrics. The native binary, once loaded, is the very object the package exports.
 */
export function detectEngine(): UwsEngine {
  const require = createRequire(import.meta.url);
  const binary = `uWebSockets.js/binaries/uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
  try {
    return require(binary) === uWS ? 'native' : 'js-fallback';
  } catch {
    return 'js-fallback';
  }
}
