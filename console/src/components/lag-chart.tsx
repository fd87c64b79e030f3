/**
 * A delay per utterance (how far behind the speaker its listener heard it) as a small bar chart (SVG): one bar per utterance in call order, coloured
 * by direction, with the values also in a visually hidden table for screen readers.
 */
export interface DelayPoint {
  label: string;
  direction: string;
  ms: number;
}

const WIDTH = 560;
const HEIGHT = 140;
const PAD = { left: 44, right: 8, top: 8, bottom: 20 };

export function LagChart(props: { points: readonly DelayPoint[]; title: string }) {
  const { points } = props;
  if (points.length === 0) return <p>No lag was measured for this call.</p>;
  const directions = [...new Set(points.map((p) => p.direction))];
  const maxMs = Math.max(1000, ...points.map((p) => p.ms));
  const top = Math.ceil(maxMs / 500) * 500;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const step = plotW / points.length;
  const barW = Math.max(2, Math.min(24, step * 0.7));
  const y = (ms: number) => PAD.top + plotH - (ms / top) * plotH;
  const ticks = [0, top / 2, top];
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={props.title}>
        {ticks.map((t) => (
          <g key={t}>
            <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(t)} y2={y(t)} class="grid" />
            <text x={PAD.left - 4} y={y(t) + 4} text-anchor="end" class="axis">
              {(t / 1000).toFixed(1)} s
            </text>
          </g>
        ))}
        {points.map((p, i) => (
          <rect key={i} x={PAD.left + i * step + (step - barW) / 2} y={y(p.ms)} width={barW} height={Math.max(1, PAD.top + plotH - y(p.ms))} class={`bar d${directions.indexOf(p.direction) % 4}`}>
            <title>{`${p.label}: ${Math.round(p.ms)} ms`}</title>
          </rect>
        ))}
      </svg>
      <figcaption>
        {directions.map((d, i) => (
          <span key={d} class="legend">
            <span class={`swatch d${i % 4}`} aria-hidden="true" /> {d}
          </span>
        ))}
      </figcaption>
      <table class="visually-hidden">
        <caption>{props.title}</caption>
        <thead>
          <tr>
            <th scope="col">Utterance</th>
            <th scope="col">Direction</th>
            <th scope="col">Lag (ms)</th>
          </tr>
        </thead>
        <tbody>
          {points.map((p, i) => (
            <tr key={i}>
              <td>{p.label}</td>
              <td>{p.direction}</td>
              <td>{Math.round(p.ms)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
