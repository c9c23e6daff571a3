/** One sample of the trajectory: [t (s), x (m), y (m)], as the result route gives it. */
export type Sample = readonly number[];

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 600;
const HEIGHT = 300;
const MARGIN = 36;

function element<K extends keyof SVGElementTagNameMap>(
  name: K,
  attributes: Record<string, string | number>,
  text?: string,
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Draws y over x with both axes from 0 and one scale, so the arc keeps its true shape. */
export function drawTrajectory(svg: SVGSVGElement, samples: readonly Sample[]): void {
  svg.replaceChildren();
  const points = samples.map(([, x = 0, y = 0]) => [x, y] as const);
  const maxX = Math.max(1e-9, ...points.map(([x]) => x));
  const maxY = Math.max(1e-9, ...points.map(([, y]) => y));
  const scale = Math.min((WIDTH - 2 * MARGIN) / maxX, (HEIGHT - 2 * MARGIN) / maxY);
  const px = (x: number) => MARGIN + x * scale;
  const py = (y: number) => HEIGHT - MARGIN - y * scale;
  svg.append(
    element('line', { x1: px(0), y1: py(0), x2: WIDTH - MARGIN / 2, y2: py(0), stroke: '#888' }),
    element('line', { x1: px(0), y1: py(0), x2: px(0), y2: MARGIN / 2, stroke: '#888' }),
    element(
      'text',
      { x: px(maxX), y: py(0) + 20, 'text-anchor': 'end', 'font-size': 12 },
      `${maxX.toFixed(1)} m`,
    ),
    element('text', { x: px(0) + 4, y: py(maxY) - 4, 'font-size': 12 }, `${maxY.toFixed(1)} m`),
    element('polyline', {
      id: 'trajectory',
      fill: 'none',
      stroke: '#2a5bd7',
      'stroke-width': 2,
      points: points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' '),
    }),
  );
}
