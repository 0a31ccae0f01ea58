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
  COUNTDOWN_TICKS,
  DX,
  DY,
  headProgress,
  isFree,
  type LightState,
  TICK_RATE,
} from './sim/index.ts';

const FLOOR: FloorStyle = {
  fill: '#121733',
  grid: 'rgba(120,140,255,0.08)',
  gridStep: 4,
  gridWidth: 0.08,
  border: '#5b6cff',
  borderWidth: 0.4,
};

/**
 * Draws Light cycles on a 2D canvas: the grid, every trail as a glowing line in its rider's
 * colour (dimmed once crashed, with a cross where it ended), heads part of the way to their
 * next cell (so motion is smooth at 60 fps although cycles move cell by cell), names with the
 * connection, and the countdown. Turned a quarter on a tall screen, like every arena.
 */
export class LightCyclesRenderer extends CanvasRenderer {
  draw(
    s: LightState,
    me: number | undefined,
    labels: ReadonlyMap<number, PlayerLabel>,
    now = 0,
  ): void {
    resizeCanvas(this.canvas);
    const { ctx } = this;
    const fit = fitWorld(ctx, s.cols, s.rows, '#0b0e1a');
    this.turned = fit.turned;
    const { viewW, viewH, view } = fit;
    const dpr = Math.max(1, globalThis.devicePixelRatio || 1);
    // Names about 13 CSS pixels high, whatever the grid's scale.
    const k = (13 * dpr) / (20 * fit.scale);

    drawFloor(ctx, viewW, viewH, FLOOR);

    // Cell centres in view units.
    const centre = (cell: number): [number, number] =>
      view((cell % s.cols) + 0.5, Math.floor(cell / s.cols) + 0.5);
    ctx.lineCap = 'square';
    ctx.lineJoin = 'miter';
    const heads: { id: number; x: number; y: number; crashed: boolean }[] = [];
    for (const c of s.cycles) {
      if (c.status === 'waiting') continue;
      const colour = playerColor(c.id);
      const crashed = c.status === 'crashed';
      const p = headProgress(s, c);
      const ahead = p > 0 && isFree(s, c.x + (DX[c.dir] ?? 0), c.y + (DY[c.dir] ?? 0)) ? p : 0;
      const [hx, hy] = view(
        c.x + 0.5 + (DX[c.dir] ?? 0) * ahead,
        c.y + 0.5 + (DY[c.dir] ?? 0) * ahead,
      );
      ctx.globalAlpha = crashed ? 0.6 : labels.get(c.id)?.connected === false ? 0.5 : 1;
      ctx.strokeStyle = colour;
      ctx.lineWidth = 0.55;
      ctx.shadowColor = colour;
      ctx.shadowBlur = crashed ? 0 : 6 * dpr;
      ctx.beginPath();
      const [sx, sy] = centre(c.corners[0] ?? 0);
      ctx.moveTo(sx, sy);
      for (let i = 1; i < c.corners.length; i++) ctx.lineTo(...centre(c.corners[i] as number));
      ctx.lineTo(hx, hy);
      ctx.stroke();
      ctx.shadowBlur = 0;
      ctx.globalAlpha = 1;
      heads.push({ id: c.id, x: hx, y: hy, crashed });
    }
    for (const h of heads) {
      if (h.crashed) {
        ctx.strokeStyle = '#ff5a5a';
        ctx.lineWidth = 0.35;
        ctx.beginPath();
        ctx.moveTo(h.x - 0.9, h.y - 0.9);
        ctx.lineTo(h.x + 0.9, h.y + 0.9);
        ctx.moveTo(h.x + 0.9, h.y - 0.9);
        ctx.lineTo(h.x - 0.9, h.y + 0.9);
        ctx.stroke();
        continue;
      }
      ctx.fillStyle = playerColor(h.id);
      ctx.beginPath();
      ctx.arc(h.x, h.y, 0.9, 0, Math.PI * 2);
      ctx.fill();
      ctx.fillStyle = '#ffffff';
      ctx.beginPath();
      ctx.arc(h.x, h.y, 0.4, 0, Math.PI * 2);
      ctx.fill();
      if (h.id === me) {
        // A pulsing ring around one's own cycle, so it is found at once.
        const pulse = (Math.sin(now / 200) + 1) / 2;
        ctx.strokeStyle = '#ffffff';
        ctx.lineWidth = 0.2;
        ctx.beginPath();
        ctx.arc(h.x, h.y, 1.4 + 0.5 * pulse, 0, Math.PI * 2);
        ctx.stroke();
      }
    }
    for (const h of heads) {
      const above = h.y - 60 * k > 0;
      drawNameTag(
        ctx,
        h.x,
        above ? h.y - 42 * k : h.y + 36 * k,
        viewW,
        labels.get(h.id),
        h.id === me,
        k,
      );
    }
    if (s.phase === 'countdown') {
      const left = Math.ceil((COUNTDOWN_TICKS - (s.tick - s.since)) / TICK_RATE);
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.font = `800 ${Math.min(viewW, viewH) / 4}px system-ui, sans-serif`;
      ctx.fillStyle = 'rgba(255,255,255,0.85)';
      ctx.fillText(String(Math.max(1, left)), viewW / 2, viewH / 2);
      ctx.textBaseline = 'alphabetic';
    }
  }
}
