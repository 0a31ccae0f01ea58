import {
  CanvasRenderer,
  drawFloor,
  drawNameTag,
  type FloorStyle,
  fitWorld,
  type PlayerLabel,
  playerColor,
  resizeCanvas,
} from '../../render/canvas.ts';
import {
  ARENA_HEIGHT,
  ARENA_WIDTH,
  type Arena,
  arenaFor,
  PLAYER_RADIUS,
  SUB,
  type TagState,
} from './sim/index.ts';

const FLOOR: FloorStyle = {
  fill: '#1b2040',
  grid: 'rgba(255,255,255,0.05)',
  gridStep: 100,
  gridWidth: 1,
  border: '#5b6cff',
  borderWidth: 6,
};

const WORLD_W = ARENA_WIDTH / SUB;
const WORLD_H = ARENA_HEIGHT / SUB;
const R = PLAYER_RADIUS / SUB;

/**
 * Draws Tag on a 2D canvas: sharp on high-DPI screens (the backing store follows
 * devicePixelRatio), the arena scaled to fit and centred, names, the "it" marker and each
 * player's connection (direct or relay, and ping). On a canvas where the arena shows bigger
 * turned a quarter (a phone held upright), it is drawn turned: the world's x axis runs down the
 * screen. Text stays upright; `rotated` tells the page to turn the player's input the same way.
 */
export class TagRenderer extends CanvasRenderer {
  private arena: { seed: number; layout: Arena } | undefined;
  /** Text is drawn at least this readable on small screens (a multiple of its world size). */
  private textScale = 1;

  draw(
    state: TagState,
    me: number | undefined,
    labels: ReadonlyMap<number, PlayerLabel>,
    now = 0,
  ): void {
    resizeCanvas(this.canvas);
    const { ctx } = this;
    const fit = fitWorld(ctx, WORLD_W, WORLD_H, '#0f1221');
    this.turned = fit.turned;
    this.textScale = fit.textScale;
    const { viewW, viewH, view } = fit;

    // Floor with a faint grid, then the walls.
    drawFloor(ctx, viewW, viewH, FLOOR);

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

  private nameTag(
    px: number,
    y: number,
    viewW: number,
    label: PlayerLabel | undefined,
    isMe: boolean,
  ): void {
    drawNameTag(this.ctx, px, y, viewW, label, isMe, this.textScale);
  }

  private layout(seed: number): Arena {
    if (this.arena?.seed !== seed) this.arena = { seed, layout: arenaFor(seed) };
    return this.arena.layout;
  }
}
