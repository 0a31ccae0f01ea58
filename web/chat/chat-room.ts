import { createBucket, type TokenBucket, take } from '../../shared/rate-limit.ts';
import { err, ok, type Result } from '../../shared/result.ts';
import { CHAT_LIMITS, type ChatLine, type ChatRefusal, cleanChatText } from './chat-frames.ts';

/** The host's limits on each player's chat, by name. */
export const CHAT_RATE = {
  /** Messages per second one player may send, after the burst. */
  MESSAGES_PER_SECOND: 1,
  BURST: 5,
  /**
   * Messages refused for the rate before the sender is muted for flooding: a person who types
   * fast hits the limit once or twice; a script keeps going. Only the sender is affected.
   */
  FLOOD_STRIKES: 10,
} as const;

export type ChatRateLimits = { -readonly [K in keyof typeof CHAT_RATE]: number };

/** The host's answer to a chat frame: the line for everyone, or a refusal (told, or not). */
export type ChatVerdict = Result<
  ChatLine,
  { readonly reason: ChatRefusal; readonly tell: boolean }
>;

/** Refused messages by reason, counted at the host. */
export type ChatStats = Record<ChatRefusal, number>;

/**
 * A lobby's chat, without I/O: the last lines, and — on the host — the checks every message
 * passes: its text (`cleanChatText`), the sender's rate (a token bucket each), mutes. Guests keep
 * the same lines (from the host), so a guest that becomes host carries the history on.
 */
export class ChatRoom {
  readonly stats: ChatStats = {
    malformed: 0,
    empty: 0,
    too_long: 0,
    rate_limited: 0,
    muted: 0,
    offline: 0,
  };
  private linesValue: ChatLine[] = [];
  private readonly buckets = new Map<number, TokenBucket>();
  private readonly strikes = new Map<number, number>();
  /** Replaced on every change, so a view sees it (Lit compares by identity). */
  private mutedIds: ReadonlySet<number> = new Set<number>();
  private readonly limits: ChatRateLimits;

  constructor(
    private readonly now: () => number,
    limits: Partial<ChatRateLimits> = {},
  ) {
    this.limits = { ...CHAT_RATE, ...limits };
  }

  /** The last `CHAT_LIMITS.HISTORY` lines, oldest first. */
  get lines(): readonly ChatLine[] {
    return this.linesValue;
  }

  /** Players the host muted (by hand, or for flooding). */
  get muted(): ReadonlySet<number> {
    return this.mutedIds;
  }

  /**
   * Host: a chat frame from player `from` (named `name` in the lobby): `raw` is its text, or
   * undefined when the frame did not decode. The line to send to everyone, or why not, and
   * whether to tell the sender. Every frame costs the sender a token first, whatever it holds,
   * so junk is limited like chat; past `FLOOD_STRIKES` refusals for the rate the sender is muted.
   * A muted sender is told while it sends at a human rate, and not at all while it floods, so
   * the host's answers stay bounded whatever a peer sends.
   */
  say(from: number, name: string, raw: string | undefined): ChatVerdict {
    const muted = this.mutedIds.has(from);
    let bucket = this.buckets.get(from);
    if (bucket === undefined) {
      bucket = createBucket(this.limits.MESSAGES_PER_SECOND, this.limits.BURST, this.now());
      this.buckets.set(from, bucket);
    }
    if (!take(bucket, this.now())) {
      if (muted) return this.refuse('muted', false);
      const strikes = (this.strikes.get(from) ?? 0) + 1;
      this.strikes.set(from, strikes);
      if (strikes < this.limits.FLOOD_STRIKES) return this.refuse('rate_limited');
      this.setMuted(from, true);
      return this.refuse('muted');
    }
    if (muted) return this.refuse('muted');
    if (raw === undefined) return this.refuse('malformed');
    const text = cleanChatText(raw);
    if (!text.ok) return this.refuse(text.error);
    return ok(this.append({ from, name, text: text.value }));
  }

  /** Host: a line of its own about the lobby (a join, a leave, a new host). */
  system(text: string): ChatLine {
    return this.append({ text });
  }

  /** Host: mutes or unmutes a player; unmuting also forgives its flood strikes. */
  mute(id: number, muted: boolean): void {
    this.setMuted(id, muted);
    if (!muted) this.strikes.delete(id);
  }

  /** A player left for good: its limits go with it. */
  forget(id: number): void {
    this.buckets.delete(id);
    this.strikes.delete(id);
    this.setMuted(id, false);
  }

  private setMuted(id: number, muted: boolean): void {
    if (this.mutedIds.has(id) === muted) return;
    const next = new Set(this.mutedIds);
    if (muted) next.add(id);
    else next.delete(id);
    this.mutedIds = next;
  }

  /** Guest: the host's list of muted players, kept for the day this guest becomes host. */
  adoptMutes(ids: readonly number[]): void {
    this.mutedIds = new Set(ids);
  }

  /** Guest: a line from the host. Lines arrive in order; a repeated or older one is ignored. */
  receive(line: ChatLine): void {
    const last = this.linesValue.at(-1);
    if (last !== undefined && line.seq <= last.seq) return;
    this.push(line);
  }

  /** Guest: the host's history (`first`: it replaces ours, e.g. under a new host). */
  history(lines: readonly ChatLine[], first: boolean): void {
    if (first) this.linesValue = [];
    for (const line of lines) this.receive(line);
  }

  private append(line: Omit<ChatLine, 'seq'>): ChatLine {
    const full: ChatLine = { seq: (this.linesValue.at(-1)?.seq ?? -1) + 1, ...line };
    this.push(full);
    return full;
  }

  /** A new array each time, so a view sees the change (Lit compares by identity). */
  private push(line: ChatLine): void {
    this.linesValue = [...this.linesValue.slice(1 - CHAT_LIMITS.HISTORY), line];
  }

  private refuse(reason: ChatRefusal, tell = true): ChatVerdict {
    this.stats[reason]++;
    return err({ reason, tell });
  }
}
