// simple-peer (through readable-stream) expects Node's `process` global; esbuild injects this.
import process from 'process/browser.js';

export { process };
