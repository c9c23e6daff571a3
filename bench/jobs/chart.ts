/** Calls per second of one benchmark run, second by second from the burst. */
export interface RunSeries {
  readonly name: string;
  readonly launched: readonly number[];
  readonly throttled: readonly number[];
}

const WIDTH = 900;
const PANEL_HEIGHT = 170;
const MARGIN = { left: 56, right: 20, top: 34, bottom: 30 };

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] ?? c);
}

/**
 * One panel per run, stacked bars per second: RunTask calls that launched a task (dark) and calls
 * refused with ThrottlingException (red), against the 20 calls/s limit (dashed). Bars taller than
 * the panel are clipped and their peak written above them.
 */
export function renderCallsChart(runs: readonly RunSeries[], limitPerSecond: number): string {
  const seconds = Math.max(1, ...runs.map((r) => Math.max(r.launched.length, r.throttled.length)));
  const yMax = limitPerSecond * 2.5;
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const barWidth = plotWidth / seconds;
  const y = (value: number) => plotHeight - (Math.min(value, yMax) / yMax) * plotHeight;
  const parts: string[] = [];
  runs.forEach((run, index) => {
    const top = index * PANEL_HEIGHT;
    parts.push(`<g transform="translate(${MARGIN.left},${top + MARGIN.top})">`);
    parts.push(
      `<text x="0" y="-12" font-size="13" font-weight="bold">${escapeXml(run.name)}</text>`,
      `<line x1="0" y1="${plotHeight}" x2="${plotWidth}" y2="${plotHeight}" stroke="#444"/>`,
      `<line x1="0" y1="0" x2="0" y2="${plotHeight}" stroke="#444"/>`,
    );
    for (const tick of [0, limitPerSecond, limitPerSecond * 2]) {
      parts.push(
        `<text x="-6" y="${y(tick) + 4}" font-size="10" text-anchor="end">${tick}</text>`,
        `<line x1="-3" y1="${y(tick)}" x2="0" y2="${y(tick)}" stroke="#444"/>`,
      );
    }
    for (let s = 0; s < seconds; s += 1) {
      const launched = run.launched[s] ?? 0;
      const throttled = run.throttled[s] ?? 0;
      const x = s * barWidth;
      const w = Math.max(1, barWidth - 1);
      if (launched > 0) {
        parts.push(
          `<rect x="${x}" y="${y(launched)}" width="${w}" height="${plotHeight - y(launched)}" fill="#1f4e79"/>`,
        );
      }
      if (throttled > 0) {
        const total = launched + throttled;
        parts.push(
          `<rect x="${x}" y="${y(total)}" width="${w}" height="${y(launched) - y(total)}" fill="#d62728"/>`,
        );
        if (total > yMax) {
          parts.push(
            `<text x="${x + w / 2}" y="-2" font-size="8" text-anchor="middle" fill="#d62728">${total}</text>`,
          );
        }
      }
    }
    parts.push(
      `<line x1="0" y1="${y(limitPerSecond)}" x2="${plotWidth}" y2="${y(limitPerSecond)}" stroke="#2ca02c" stroke-dasharray="5,4"/>`,
    );
    for (let s = 0; s <= seconds; s += 10) {
      parts.push(
        `<text x="${s * barWidth}" y="${plotHeight + 14}" font-size="10" text-anchor="middle">${s}</text>`,
      );
    }
    parts.push('</g>');
  });
  const height = runs.length * PANEL_HEIGHT + 40;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="sans-serif">`,
    '<rect width="100%" height="100%" fill="white"/>',
    ...parts,
    `<text x="${MARGIN.left}" y="${height - 12}" font-size="11">seconds since the burst · RunTask calls per second: ` +
      `<tspan fill="#1f4e79">■ launched a task</tspan> <tspan fill="#d62728">■ ThrottlingException</tspan> ` +
      `<tspan fill="#2ca02c">- - ${limitPerSecond}/s limit</tspan></text>`,
    '</svg>',
  ].join('\n');
}
