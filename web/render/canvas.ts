import type { LinkKind } from '../../shared/protocol/signaling.ts';

/**
 * Drawing helpers every game's renderer shares: player colours, name tags with the connection,
 * and fitting a world onto a canvas (turned a quarter on a tall screen, sharp on high-DPI ones).
 */

/** What a renderer shows beside a player: its name and how it is connected. */
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

/** A stable, pleasant colour per player id (the lobby's dots use it too). */
export function playerColor(id: number): string {
  const hue = (id * 137.508) % 360;
  return `hsl(${hue.toFixed(0)} 70% 58%)`;
}

/** Matches a canvas's backing store to its size on screen and the screen's pixel ratio. */
export function resizeCanvas(canvas: HTMLCanvasElement): void {
  const dpr = Math.max(1, globalThis.devicePixelRatio || 1);
  const { width, height } = canvas.getBoundingClientRect();
  const w = Math.max(1, Math.round(width * dpr));
  const h = Math.max(1, Math.round(height * dpr));
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
}

/** How a world of `worldW × worldH` units sits on a canvas. */
export interface Fit {
  /** Drawn turned a quarter clockwise (world +x points down the screen). */
  readonly turned: boolean;
  /** Canvas pixels per world unit. */
  readonly scale: number;
  /** The world's size in view units (swapped when turned). */
  readonly viewW: number;
  readonly viewH: number;
  /** A world point in view units. */
  view(x: number, y: number): [number, number];
  /** Text drawn at least this readable on small screens (a multiple of its world size). */
  readonly textScale: number;
}

/**
 * Clears the canvas to `background` and sets its transform so that drawing in view units puts
 * the world, scaled to fit and centred, on screen: turned a quarter when that shows it bigger
 * (a phone held upright). `minTextPx` CSS pixels is the smallest a 14-unit text may get.
 */
export function fitWorld(
  ctx: CanvasRenderingContext2D,
  worldW: number,
  worldH: number,
  background: string,
  minTextPx = 9,
): Fit {
  const { canvas } = ctx;
  const upright = Math.min(canvas.width / worldW, canvas.height / worldH);
  const sideways = Math.min(canvas.width / worldH, canvas.height / worldW);
  const turned = sideways > upright;
  const viewW = turned ? worldH : worldW;
  const viewH = turned ? worldW : worldH;
  const scale = Math.max(upright, sideways);
  const dpr = Math.max(1, globalThis.devicePixelRatio || 1);
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = background;
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.setTransform(
    scale,
    0,
    0,
    scale,
    (canvas.width - viewW * scale) / 2,
    (canvas.height - viewH * scale) / 2,
  );
  return {
    turned,
    scale,
    viewW,
    viewH,
    view: turned ? (x, y) => [worldH - y, x] : (x, y) => [x, y],
    textScale: Math.max(1, (minTextPx * dpr) / (14 * scale)),
  };
}

/**
 * A movement asked for on screen (right, down…) as a world vector: when the world is drawn
 * turned (world +x down the screen), screen right is world up and screen down is world right.
 */
export function screenToWorld<T extends { readonly dx: number; readonly dy: number }>(
  v: T,
  turned: boolean,
): T {
  return turned ? { ...v, dx: v.dy, dy: -v.dx || 0 } : v;
}

/**
 * A player's name (and, for others, the connection: a coloured dot and the ping)
 * centred on `px` at `y`, in view units, kept inside a view `viewW` wide however long. `k` is
 * the fit's text scale (sizes are in view units).
 */
export function drawNameTag(
  ctx: CanvasRenderingContext2D,
  px: number,
  y: number,
  viewW: number,
  label: PlayerLabel | undefined,
  isMe: boolean,
  k: number,
): void {
  const name = label?.name ?? '?';
  const connection =
    label?.kind === undefined || isMe
      ? undefined
      : label.rtt === undefined
        ? label.kind
        : `${label.kind} ${Math.round(label.rtt)} ms`;
  ctx.textAlign = 'center';
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
  ctx.font = `500 ${14 * k}px system-ui, sans-serif`;
  // Connection: a dot (green direct, violet TURN, amber relay, blue host) and the ping.
  ctx.fillStyle = CONNECTION_COLORS[label.kind];
  ctx.beginPath();
  ctx.arc(x - width / 2 - 8 * k, y + 15 * k, 4 * k, 0, Math.PI * 2);
  ctx.fill();
  ctx.fillStyle = '#c9cdf0';
  ctx.strokeText(connection, x + 2 * k, y + 20 * k);
  ctx.fillText(connection, x + 2 * k, y + 20 * k);
}

/** How an arena's floor is drawn: fill, a square grid and a border, in view units. */
export interface FloorStyle {
  readonly fill: string;
  readonly grid: string;
  readonly gridStep: number;
  readonly gridWidth: number;
  readonly border: string;
  readonly borderWidth: number;
}

/** Fills a `viewW × viewH` arena, draws its grid lines and the border just inside its edge. */
export function drawFloor(
  ctx: CanvasRenderingContext2D,
  viewW: number,
  viewH: number,
  style: FloorStyle,
): void {
  ctx.fillStyle = style.fill;
  ctx.fillRect(0, 0, viewW, viewH);
  ctx.strokeStyle = style.grid;
  ctx.lineWidth = style.gridWidth;
  ctx.beginPath();
  for (let x = style.gridStep; x < viewW; x += style.gridStep) {
    ctx.moveTo(x, 0);
    ctx.lineTo(x, viewH);
  }
  for (let y = style.gridStep; y < viewH; y += style.gridStep) {
    ctx.moveTo(0, y);
    ctx.lineTo(viewW, y);
  }
  ctx.stroke();
  ctx.strokeStyle = style.border;
  ctx.lineWidth = style.borderWidth;
  const inset = style.borderWidth / 2;
  ctx.strokeRect(inset, inset, viewW - style.borderWidth, viewH - style.borderWidth);
}

/**
 * What every game's canvas renderer shares: its 2D context, and whether the last frame was
 * drawn turned (input mapping follows the screen).
 */
export abstract class CanvasRenderer {
  protected readonly ctx: CanvasRenderingContext2D;
  protected turned = false;

  constructor(protected readonly canvas: HTMLCanvasElement) {
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('canvas 2D is not available');
    this.ctx = ctx;
  }

  /** Whether the last frame was drawn turned a quarter clockwise (world +x points down). */
  get rotated(): boolean {
    return this.turned;
  }
}
