// chart.jsx - one small SVG chart drawn by hand: bars or lines over the
// buckets of a series, outage windows shaded behind them, the highest
// value and the first and last times as labels. Every bucket is one mark
// (data-point) so tests can count them.
import { hour } from "./format.js";

const React = window.PluginApi.React;

const W = 360;
const H = 150;
const PAD = { l: 30, r: 6, t: 10, b: 22 };

function niceMax(v) {
  if (!(v > 0)) return 1;
  const e = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 5, 10]) if (v <= m * e) return m * e;
  return 10 * e;
}

// props: title, series {from, to, bucket_seconds, points}, lines
// [{key, label, color, kind: "bar"|"line"}], windows [[start, end]...],
// unit, range ("day" | "week").
export function Chart({ title, series, lines, windows, unit, range }) {
  const pts = (series && series.points) || [];
  const from = series ? series.from : 0;
  const to = series ? series.to : 1;
  const bw = series ? series.bucket_seconds : 3600;
  const iw = W - PAD.l - PAD.r;
  const ih = H - PAD.t - PAD.b;
  const x = (t) => PAD.l + ((t - from) / (to - from)) * iw;
  let max = 0;
  for (const p of pts) for (const l of lines) max = Math.max(max, l.value(p));
  max = niceMax(max);
  const y = (v) => PAD.t + ih - (Math.max(0, v) / max) * ih;
  const barLines = lines.filter((l) => l.kind === "bar");
  const slot = ((bw / (to - from)) * iw) / Math.max(1, barLines.length);
  const shade = (windows || [])
    .map(([s, e]) => [Math.max(s, from), Math.min(e, to)])
    .filter(([s, e]) => e > s);
  const withDay = range === "week";
  const total = lines.map((l) => ({ l, sum: pts.reduce((a, p) => a + l.value(p), 0) }));

  return (
    <figure className="s2p-chart" data-range={range} data-title={title}>
      <figcaption>
        <span className="s2p-chart-title">{title}</span>
        {lines.map((l) => (
          <span key={l.key} className="s2p-legend">
            <i style={{ background: l.color }} />
            {l.label}
          </span>
        ))}
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={title}>
        {shade.map(([s, e], i) => (
          <rect key={`o${i}`} className="s2p-outage" x={x(s)} y={PAD.t}
            width={Math.max(1.5, x(e) - x(s))} height={ih}>
            <title>Plex outage</title>
          </rect>
        ))}
        <line className="s2p-axis" x1={PAD.l} y1={PAD.t + ih} x2={W - PAD.r} y2={PAD.t + ih} />
        <line className="s2p-grid" x1={PAD.l} y1={PAD.t} x2={W - PAD.r} y2={PAD.t} />
        <text className="s2p-label" x={PAD.l - 4} y={PAD.t + 4} textAnchor="end">
          {max >= 1000 ? `${Math.round(max / 100) / 10}k` : max}
        </text>
        <text className="s2p-label" x={PAD.l - 4} y={PAD.t + ih} textAnchor="end">0</text>
        <text className="s2p-label" x={PAD.l} y={H - 5}>{withDay ? "7 days ago" : "24 h ago"}</text>
        <text className="s2p-label" x={W - PAD.r} y={H - 5} textAnchor="end">now</text>
        {barLines.map((l, li) =>
          pts.map((p) => {
            const v = l.value(p);
            return (
              <rect key={`${l.key}${p.t}`} data-point={l.key} data-value={v}
                x={x(p.t) + li * slot + 0.5} y={y(v)} width={Math.max(0.5, slot - 1)}
                height={PAD.t + ih - y(v)} fill={l.color}>
                <title>{`${hour(p.t, withDay)} ${hour(p.t, false)}: ${v} ${l.label.toLowerCase()}`}</title>
              </rect>
            );
          })
        )}
        {lines.filter((l) => l.kind !== "bar").map((l) => (
          <g key={l.key}>
            <polyline fill="none" stroke={l.color} strokeWidth="1.5"
              points={pts.map((p) => `${x(p.t + bw / 2)},${y(l.value(p))}`).join(" ")} />
            {pts.map((p) => (
              <circle key={p.t} data-point={l.key} data-value={l.value(p)}
                cx={x(p.t + bw / 2)} cy={y(l.value(p))} r="1.8" fill={l.color}>
                <title>{`${hour(p.t, withDay)} ${hour(p.t, false)}: ${Math.round(l.value(p) * 10) / 10}${unit || ""} ${l.label.toLowerCase()}`}</title>
              </circle>
            ))}
          </g>
        ))}
      </svg>
      <div className="s2p-chart-sum">
        {total.filter((t) => t.l.kind === "bar").map((t) => (
          <span key={t.l.key} data-sum={t.l.key}>{`${t.l.label}: ${t.sum}`}</span>
        ))}
      </div>
    </figure>
  );
}
