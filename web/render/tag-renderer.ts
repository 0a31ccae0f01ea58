import {
  ARENA_HEIGHT,
  ARENA_WIDTH,
  type Arena,
  arenaFor,
  PLAYER_RADIUS,
  SUB,
  type TagState,
} from '../../shared/sim/tag/index.ts';

/** What the renderer shows beside a player: its name and how it is connected. */
export interface PlayerLabel {
  readonly name: string;
  /** How this browser reaches that player (the host: 'host'; this player: undefined). */
  readonly kind?: 'direct' | 'relay' | 'host' | undefined;
  readonly rtt?: number | undefined;
  readonly connected?: boolean;
}

const WORLD_W = ARENA_WIDTH / SUB;
const WORLD_H = ARENA_HEIGHT / SUB;
const R = PLAYER_RADIUS / SUB;

/** A stable, pleasant colour per player id. */
export function playerColor(id: number): string {
  const hue = (id * 137.508) % 360;
  return `hsl(${hue.toFixed(0)} 70% 58%)`;
}

/**
 * Draws Tag on a 2D canvas: sharp on high-DPI screens (the backing store follows
 * devicePixelRatio), the arena scaled to fit and centred, names, the "it" marker and each
 * player's connection (direct or relay, and ping).
 */
export class TagRenderer {
  private readonly ctx: CanvasRenderingContext2D;
  private arena: { seed: number; layout: Arena } | undefined;
  /** Text is drawn at least this readable on small screens (a multiple of its world size). */
  private textScale = 1;

  constructor(private readonly canvas: HTMLCanvasElement) {
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('canvas 2D is not available');
    this.ctx = ctx;
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
    const scale = Math.min(canvas.width / WORLD_W, canvas.height / WORLD_H);
    const ox = (canvas.width - WORLD_W * scale) / 2;
    const oy = (canvas.height - WORLD_H * scale) / 2;
    // Connection lines are 14 world units high; never smaller than 9 CSS pixels.
    const dpr = Math.max(1, globalThis.devicePixelRatio || 1);
    this.textScale = Math.max(1, (9 * dpr) / (14 * scale));
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = '#0f1221';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.setTransform(scale, 0, 0, scale, ox, oy);

    // Floor with a faint grid, then the walls.
    ctx.fillStyle = '#1b2040';
    ctx.fillRect(0, 0, WORLD_W, WORLD_H);
    ctx.strokeStyle = 'rgba(255,255,255,0.05)';
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let x = 100; x < WORLD_W; x += 100) {
      ctx.moveTo(x, 0);
      ctx.lineTo(x, WORLD_H);
    }
    for (let y = 100; y < WORLD_H; y += 100) {
      ctx.moveTo(0, y);
      ctx.lineTo(WORLD_W, y);
    }
    ctx.stroke();
    ctx.strokeStyle = '#5b6cff';
    ctx.lineWidth = 6;
    ctx.strokeRect(3, 3, WORLD_W - 6, WORLD_H - 6);

    ctx.fillStyle = '#39406b';
    ctx.strokeStyle = '#4d568c';
    ctx.lineWidth = 3;
    for (const o of this.layout(state.arena).obstacles) {
      const x = o.x0 / SUB;
      const y = o.y0 / SUB;
      const w = (o.x1 - o.x0) / SUB;
      const h = (o.y1 - o.y0) / SUB;
      ctx.beginPath();
      ctx.roundRect(x, y, w, h, 10);
      ctx.fill();
      ctx.stroke();
    }

    ctx.textAlign = 'center';
    for (const p of state.players) {
      const x = p.x / SUB;
      const y = p.y / SUB;
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
      // Kept inside the arena, so a name at a side wall stays readable.
      const labelX = Math.min(WORLD_W - 70 * k, Math.max(70 * k, x));
      this.nameTag(labelX, above ? y - R - 28 * k : y + R + 24 * k, label, p.id === me);
      ctx.globalAlpha = 1;
    }
  }

  private nameTag(x: number, y: number, label: PlayerLabel | undefined, isMe: boolean): void {
    const { ctx } = this;
    const k = this.textScale;
    const name = label?.name ?? '?';
    ctx.font = `600 ${20 * k}px system-ui, sans-serif`;
    ctx.fillStyle = isMe ? '#ffffff' : '#dfe3ff';
    ctx.lineWidth = 4 * k;
    ctx.strokeStyle = 'rgba(0,0,0,0.6)';
    ctx.strokeText(name, x, y);
    ctx.fillText(name, x, y);
    if (label?.kind === undefined || isMe) return;
    // Connection: a dot (green direct, amber relay, blue host) and the ping.
    const text = label.rtt === undefined ? label.kind : `${label.kind} ${Math.round(label.rtt)} ms`;
    ctx.font = `500 ${14 * k}px system-ui, sans-serif`;
    const width = ctx.measureText(text).width;
    ctx.fillStyle =
      label.kind === 'direct' ? '#35d07f' : label.kind === 'relay' ? '#f5b942' : '#7aa2ff';
    ctx.beginPath();
    ctx.arc(x - width / 2 - 8 * k, y + 15 * k, 4 * k, 0, Math.PI * 2);
    ctx.fill();
    ctx.fillStyle = '#c9cdf0';
    ctx.strokeText(text, x + 2 * k, y + 20 * k);
    ctx.fillText(text, x + 2 * k, y + 20 * k);
  }

  private layout(seed: number): Arena {
    if (this.arena?.seed !== seed) this.arena = { seed, layout: arenaFor(seed) };
    return this.arena.layout;
  }
}
