import type { LinkKind } from '../../shared/protocol/signaling.ts';
import {
  ARENA_HEIGHT,
  ARENA_WIDTH,
  type Arena,
  arenaFor,
  PLAYER_RADIUS,
  SUB,
  type TagInput,
  type TagState,
} from '../../shared/sim/tag/index.ts';

/** What the renderer shows beside a player: its name and how it is connected. */
export interface PlayerLabel {
  readonly name: string;
  /** How that player is linked (see linkLabel; the host: 'host'; this player: undefined). */
  readonly kind?: LinkKind | 'host' | undefined;
  readonly rtt?: number | undefined;
  readonly connected?: boolean;
}

const CONNECTION_COLORS: Record<LinkKind | 'host', string> = {
  direct: '#35d07f',
  turn: '#c39bff',
  relay: '#f5b942',
  host: '#7aa2ff',
};

const WORLD_W = ARENA_WIDTH / SUB;
const WORLD_H = ARENA_HEIGHT / SUB;
const R = PLAYER_RADIUS / SUB;

/**
 * A movement asked for on screen (right, down…) as a world input: when the arena is drawn turned
 * (world +x down the screen), screen right is world up and screen down is world right.
 */
export function screenToWorld(input: TagInput, rotated: boolean): TagInput {
  return rotated ? { dx: input.dy, dy: -input.dx || 0 } : input;
}

/** A stable, pleasant colour per player id. */
export function playerColor(id: number): string {
  const hue = (id * 137.508) % 360;
  return `hsl(${hue.toFixed(0)} 70% 58%)`;
}

/**
 * Draws Tag on a 2D canvas: sharp on high-DPI screens (the backing store follows
 * devicePixelRatio), the arena scaled to fit and centred, names, the "it" marker and each
 * player's connection (direct or relay, and ping). On a canvas where the arena shows bigger
 * turned a quarter (a phone held upright), it is drawn turned: the world's x axis runs down the
 * screen. Text stays upright; `rotated` tells the page to turn the player's input the same way.
 */
export class TagRenderer {
  private readonly ctx: CanvasRenderingContext2D;
  private arena: { seed: number; layout: Arena } | undefined;
  /** Text is drawn at least this readable on small screens (a multiple of its world size). */
  private textScale = 1;
  private turned = false;

  constructor(private readonly canvas: HTMLCanvasElement) {
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('canvas 2D is not available');
    this.ctx = ctx;
  }

  /** Whether the last frame was drawn turned a quarter clockwise (world +x points down). */
  get rotated(): boolean {
    return this.turned;
  }

  /** Matches the backing store to the element's size and the screen's pixel ratio. */
  resize(): void {
    const dpr = Math.max(1, globalThis.devicePixelRatio || 1);
    const { width, height } = this.canvas.getBoundingClientRect();
    const w = Math.max(1, Math.round(width * dpr));
    const h = Math.max(1, Math.round(height * dpr));
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
  }

  draw(
    state: TagState,
    me: number | undefined,
    labels: ReadonlyMap<number, PlayerLabel>,
    now = 0,
  ): void {
    this.resize();
    const { ctx, canvas } = this;
    const upright = Math.min(canvas.width / WORLD_W, canvas.height / WORLD_H);
    const turned = Math.min(canvas.width / WORLD_H, canvas.height / WORLD_W);
    this.turned = turned > upright;
    // Everything below is drawn in view units: world units, turned when the arena is.
    const viewW = this.turned ? WORLD_H : WORLD_W;
    const viewH = this.turned ? WORLD_W : WORLD_H;
    const view = (x: number, y: number): [number, number] =>
      this.turned ? [WORLD_H - y, x] : [x, y];
    const scale = Math.max(upright, turned);
    const ox = (canvas.width - viewW * scale) / 2;
    const oy = (canvas.height - viewH * scale) / 2;
    // Connection lines are 14 world units high; never smaller than 9 CSS pixels.
    const dpr = Math.max(1, globalThis.devicePixelRatio || 1);
    this.textScale = Math.max(1, (9 * dpr) / (14 * scale));
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = '#0f1221';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.setTransform(scale, 0, 0, scale, ox, oy);

    // Floor with a faint grid, then the walls.
    ctx.fillStyle = '#1b2040';
    ctx.fillRect(0, 0, viewW, viewH);
    ctx.strokeStyle = 'rgba(255,255,255,0.05)';
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let x = 100; x < viewW; x += 100) {
      ctx.moveTo(x, 0);
      ctx.lineTo(x, viewH);
    }
    for (let y = 100; y < viewH; y += 100) {
      ctx.moveTo(0, y);
      ctx.lineTo(viewW, y);
    }
    ctx.stroke();
    ctx.strokeStyle = '#5b6cff';
    ctx.lineWidth = 6;
    ctx.strokeRect(3, 3, viewW - 6, viewH - 6);

    ctx.fillStyle = '#39406b';
    ctx.strokeStyle = '#4d568c';
    ctx.lineWidth = 3;
    for (const o of this.layout(state.arena).obstacles) {
      const [ax, ay] = view(o.x0 / SUB, o.y0 / SUB);
      const [bx, by] = view(o.x1 / SUB, o.y1 / SUB);
      ctx.beginPath();
      ctx.roundRect(Math.min(ax, bx), Math.min(ay, by), Math.abs(bx - ax), Math.abs(by - ay), 10);
      ctx.fill();
      ctx.stroke();
    }

    ctx.textAlign = 'center';
    for (const p of state.players) {
      const [x, y] = view(p.x / SUB, p.y / SUB);
      const isIt = p.id === state.it;
      const label = labels.get(p.id);
      const away = label?.connected === false;
      ctx.globalAlpha = away ? 0.4 : p.id === state.immune ? 0.6 : 1;
      if (isIt) {
        // A pulsing red halo (still while "it" is frozen after a tag).
        const pulse = state.itFrozen > 0 ? 0 : (Math.sin(now / 150) + 1) / 2;
        ctx.fillStyle = `rgba(255,70,70,${0.25 + 0.2 * pulse})`;
        ctx.beginPath();
        ctx.arc(x, y, R + 10 + 4 * pulse, 0, Math.PI * 2);
        ctx.fill();
      }
      ctx.fillStyle = playerColor(p.id);
      ctx.beginPath();
      ctx.arc(x, y, R, 0, Math.PI * 2);
      ctx.fill();
      ctx.lineWidth = p.id === me ? 5 : 2;
      ctx.strokeStyle = isIt ? '#ff4646' : p.id === me ? '#ffffff' : 'rgba(0,0,0,0.35)';
      ctx.stroke();
      if (p.id === state.immune) {
        ctx.setLineDash([6, 6]);
        ctx.strokeStyle = '#ffffff';
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.arc(x, y, R + 6, 0, Math.PI * 2);
        ctx.stroke();
        ctx.setLineDash([]);
      }
      if (isIt) {
        ctx.fillStyle = '#ffffff';
        ctx.font = '800 16px system-ui, sans-serif';
        ctx.fillText('IT', x, y + 6);
      }
      // Labels above the player, or below it near the top wall.
      const k = this.textScale;
      const above = y - R - 44 * k > 0;
      this.nameTag(x, above ? y - R - 28 * k : y + R + 24 * k, viewW, label, p.id === me);
      ctx.globalAlpha = 1;
    }
  }

  /** A name (and connection) centred on `px`, but kept inside the arena, however long. */
  private nameTag(
    px: number,
    y: number,
    viewW: number,
    label: PlayerLabel | undefined,
    isMe: boolean,
  ): void {
    const { ctx } = this;
    const k = this.textScale;
    const name = label?.name ?? '?';
    const connection =
      label?.kind === undefined || isMe
        ? undefined
        : label.rtt === undefined
          ? label.kind
          : `${label.kind} ${Math.round(label.rtt)} ms`;
    ctx.font = `500 ${14 * k}px system-ui, sans-serif`;
    const width = connection === undefined ? 0 : ctx.measureText(connection).width;
    ctx.font = `600 ${20 * k}px system-ui, sans-serif`;
    const half = Math.max(ctx.measureText(name).width, width + 20 * k) / 2 + 8 * k;
    const x = half * 2 >= viewW ? viewW / 2 : Math.min(viewW - half, Math.max(half, px));
    ctx.fillStyle = isMe ? '#ffffff' : '#dfe3ff';
    ctx.lineWidth = 4 * k;
    ctx.strokeStyle = 'rgba(0,0,0,0.6)';
    ctx.strokeText(name, x, y);
    ctx.fillText(name, x, y);
    if (connection === undefined || label?.kind === undefined) return;
    // Connection: a dot (green direct, violet TURN, amber relay, blue host) and the ping.
    ctx.font = `500 ${14 * k}px system-ui, sans-serif`;
    ctx.fillStyle = CONNECTION_COLORS[label.kind];
    ctx.beginPath();
    ctx.arc(x - width / 2 - 8 * k, y + 15 * k, 4 * k, 0, Math.PI * 2);
    ctx.fill();
    ctx.fillStyle = '#c9cdf0';
    ctx.strokeText(connection, x + 2 * k, y + 20 * k);
    ctx.fillText(connection, x + 2 * k, y + 20 * k);
  }

  private layout(seed: number): Arena {
    if (this.arena?.seed !== seed) this.arena = { seed, layout: arenaFor(seed) };
    return this.arena.layout;
  }
}
