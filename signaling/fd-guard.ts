import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';

/** File descriptors kept free beside the sockets: node itself, the listen and STUN sockets, logs. */
export const FD_RESERVE = 64;
/**
 * How often the open files are counted: every `FD_CHECK_MS` near the limit, less often the more
 * room is left (a count lists every descriptor, so it costs more the more there are), assuming
 * no more than `FD_FILL_PER_MS` new connections a millisecond.
 */
export const FD_CHECK_MS = 50;
export const FD_CHECK_MAX_MS = 1000;
export const FD_FILL_PER_MS = 20;

/** The process's soft limit on open files (`ulimit -n`), from /proc; undefined off Linux. */
export function openFileLimit(): number | undefined {
  try {
    const limits = readFileSync('/proc/self/limits', 'utf8');
    const line = limits.split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    const n = Number(soft);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** `--max-connections`: as given, or `auto`, the open-file limit less `FD_RESERVE` (at least 16). */
export function resolveMaxConnections(
  setting: number | 'auto',
  fdLimit: number | undefined,
): number {
  if (setting !== 'auto') return setting;
  return fdLimit === undefined ? 1_000_000 : Math.max(16, fdLimit - FD_RESERVE);
}

/**
 * Keeps the process below its open-file limit. uWebSockets.js accepts every TCP connection
 * before JavaScript hears of it, and at the limit its accept fails with EMFILE while the listen
 * socket stays readable: the event loop spins at 100% CPU and nothing new gets in. So the open
 * files are counted (/proc/self/fd) every `FD_CHECK_MS`; at `high` the guard pauses accepting
 * (the listen socket is closed: the kernel refuses new connections at no cost to us, while open
 * sockets and keep-alive HTTP connections go on), and resumes below `low`.
 */
export class FdGuard {
  private timer: NodeJS.Timeout | undefined;
  private counting = false;
  paused = false;
  /** Times accepting was paused. */
  pauses = 0;
  /** Open files at the last count. */
  open = 0;

  constructor(
    private readonly high: number,
    private readonly low: number,
    private readonly pause: () => void,
    private readonly resume: () => Promise<boolean>,
  ) {}

  start(): void {
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private stopped = false;

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.check(), ms);
    this.timer.unref();
  }

  private async check(): Promise<void> {
    if (this.counting) return;
    this.counting = true;
    try {
      // Reading the directory takes a descriptor itself: failing for want of one means full.
      this.open = await readdir('/proc/self/fd').then(
        (names) => names.length,
        () => Number.POSITIVE_INFINITY,
      );
      if (!this.paused && this.open >= this.high) {
        this.paused = true;
        this.pauses++;
        this.pause();
      } else if (this.paused && this.open < this.low) {
        this.paused = !(await this.resume());
      }
    } finally {
      this.counting = false;
      const room = this.high - this.open;
      this.schedule(
        this.paused
          ? FD_CHECK_MS
          : Math.min(FD_CHECK_MAX_MS, Math.max(FD_CHECK_MS, room / FD_FILL_PER_MS)),
      );
    }
  }
}
