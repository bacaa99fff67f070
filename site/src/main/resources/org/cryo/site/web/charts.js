// Small inline SVG charts: a series over time against the policy's limits (dashed lines, each
// labelled, so no limit is told apart by colour alone).
const SVG = 'http://www.w3.org/2000/svg';

function svgEl(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  return node;
}

const LIMIT_STYLE = {
  warn: { cls: 'limit-warn', dash: '2 2', label: 'W' },
  evacuate: { cls: 'limit-evacuate', dash: '6 3', label: 'E' },
  fail: { cls: 'limit-fail', dash: '1 0', label: 'F' },
};

/**
 * A sparkline of samples [[ms, value], ...] with its limits {warn, evacuate, fail}; the title
 * (for screen readers and tooltips) says the latest value and the limits in words.
 */
export function sparkline(series, width = 240, height = 56) {
  const samples = series.samples || [];
  const limits = series.limits || {};
  const values = samples.map((s) => s[1]);
  const top = Math.max(1, ...values, ...Object.values(limits));
  const t0 = samples.length ? samples[0][0] : 0;
  const t1 = samples.length ? samples[samples.length - 1][0] : 1;
  const pad = 4;
  const x = (t) => pad + (t1 === t0 ? width - 2 * pad : ((t - t0) / (t1 - t0)) * (width - 2 * pad));
  const y = (v) => height - pad - (v / top) * (height - 2 * pad);
  const svg = svgEl('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', class: 'spark' });
  const latest = values.length ? values[values.length - 1] : null;
  const limitText = Object.entries(limits).map(([k, v]) => `${k} at ${v}`).join(', ');
  const title = svgEl('title');
  title.textContent = `${series.signal} ${series.series}: ${series.measure}` +
    (latest === null ? ', no samples yet' : `, now ${fmtNumber(latest)}`) + (limitText ? `; limits: ${limitText}` : '');
  svg.appendChild(title);
  svg.appendChild(svgEl('rect', { x: 0, y: 0, width, height, class: 'spark-bg' }));
  for (const [level, value] of Object.entries(limits)) {
    const style = LIMIT_STYLE[level];
    if (!style) continue;
    svg.appendChild(svgEl('line', { x1: pad, x2: width - pad, y1: y(value), y2: y(value), class: style.cls,
      'stroke-dasharray': style.dash }));
    const label = svgEl('text', { x: width - pad - 1, y: y(value) - 2, class: `limit-label ${style.cls}`,
      'text-anchor': 'end' });
    label.textContent = style.label;
    svg.appendChild(label);
  }
  if (samples.length === 1) {
    svg.appendChild(svgEl('circle', { cx: x(samples[0][0]), cy: y(samples[0][1]), r: 2.5, class: 'spark-line' }));
  } else if (samples.length > 1) {
    const d = samples.map((s, i) => `${i ? 'L' : 'M'}${x(s[0]).toFixed(1)},${y(s[1]).toFixed(1)}`).join(' ');
    svg.appendChild(svgEl('path', { d, class: 'spark-line', fill: 'none' }));
  }
  return svg;
}

export function fmtNumber(v) {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toFixed(2)).toString();
}
