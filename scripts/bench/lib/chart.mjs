// Horizontal bar charts as SVG text, for docs/benchmarks.md: pure, no dependency, the same
// input always gives the same picture (so a re-run changes the file only when figures do).

const WIDTH = 760
const LABEL_WIDTH = 210
const VALUE_WIDTH = 70
const BAR_HEIGHT = 16
const BAR_GAP = 4
const GROUP_GAP = 14
const TOP = 44
const BOTTOM = 34

/** One colour per contender, the same in every chart; others get grey. */
const COLOURS = {
  l3lb: '#1f77b4',
  'haproxy-tuned': '#ff7f0e',
  'nginx-stream': '#2ca02c',
  direct: '#7f7f7f',
  'dnat-single': '#9467bd'
}

const escape = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/** A round step for the axis: 1, 2 or 5 times a power of ten, five to eight ticks to `max`. */
export function tickStep (max) {
  if (!(max > 0)) return 1
  const rough = max / 8
  const power = 10 ** Math.floor(Math.log10(rough))
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= rough)
}

/**
 * The SVG of a chart of `groups`, each a label, its bars ({ name, value }) and an optional
 * aim drawn as a dashed mark across its bars (`aimLabel` in the legend); `unit` follows every value.
 * Values that are not finite numbers are left out (a contender a run did not measure).
 */
export function barChartSvg ({ title, note = '', unit = '', digits = 2, aimLabel = 'aim', groups }) {
  const shown = groups
    .map((g) => ({ ...g, bars: g.bars.filter((b) => Number.isFinite(b.value)) }))
    .filter((g) => g.bars.length > 0)
  const values = shown.flatMap((g) => [...g.bars.map((b) => b.value), ...(Number.isFinite(g.aim) ? [g.aim] : [])])
  const step = tickStep(Math.max(...values, 0) * 1.05)
  const axisMax = Math.max(step, Math.ceil((Math.max(...values, 0) * 1.05) / step) * step)
  const plotWidth = WIDTH - LABEL_WIDTH - VALUE_WIDTH
  const x = (v) => LABEL_WIDTH + (v / axisMax) * plotWidth
  const height = TOP + BOTTOM + shown.reduce((h, g) => h + g.bars.length * (BAR_HEIGHT + BAR_GAP) + GROUP_GAP, 0)

  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">${escape(title)}</text>`,
    note ? `<text x="10" y="36" fill="#555555">${escape(note)}</text>` : ''
  ]
  const plotBottom = height - BOTTOM
  for (let v = 0; v <= axisMax + step / 1e6; v += step) {
    const at = x(v).toFixed(1)
    parts.push(`<line x1="${at}" y1="${TOP - 4}" x2="${at}" y2="${plotBottom}" stroke="#dddddd"/>`,
      `<text x="${at}" y="${plotBottom + 14}" text-anchor="middle" fill="#555555">${escape(Number(v.toFixed(6)))}${escape(unit)}</text>`)
  }
  let y = TOP
  for (const g of shown) {
    const groupTop = y
    const groupHeight = g.bars.length * (BAR_HEIGHT + BAR_GAP) - BAR_GAP
    // the case's name, centred on its bars; the legend says which bar is whose
    parts.push(`<text x="${LABEL_WIDTH - 8}" y="${(groupTop + groupHeight / 2 + 4).toFixed(1)}" text-anchor="end" font-weight="bold">${escape(g.label)}</text>`)
    for (const b of g.bars) {
      parts.push(`<rect x="${LABEL_WIDTH}" y="${y}" width="${Math.max(0, x(b.value) - LABEL_WIDTH).toFixed(1)}" height="${BAR_HEIGHT}" fill="${COLOURS[b.name] ?? '#bbbbbb'}"><title>${escape(b.name)}</title></rect>`,
        // a white halo keeps the figure readable where it crosses the aim's mark
        `<text x="${(x(b.value) + 4).toFixed(1)}" y="${y + BAR_HEIGHT - 3}" stroke="#ffffff" stroke-width="3" paint-order="stroke">${escape(b.value.toFixed(digits))}${escape(unit)}</text>`)
      y += BAR_HEIGHT + BAR_GAP
    }
    if (Number.isFinite(g.aim)) {
      const at = x(g.aim).toFixed(1)
      parts.push(`<line x1="${at}" y1="${groupTop - 3}" x2="${at}" y2="${y - BAR_GAP + 3}" stroke="#d62728" stroke-width="2" stroke-dasharray="4 3"/>`)
    }
    y += GROUP_GAP
  }
  parts.push(`<line x1="${LABEL_WIDTH}" y1="${TOP - 4}" x2="${LABEL_WIDTH}" y2="${plotBottom}" stroke="#333333"/>`)
  // the legend: one swatch per contender in the chart, and the aim's mark
  const names = [...new Set(shown.flatMap((g) => g.bars.map((b) => b.name)))]
  let lx = LABEL_WIDTH
  for (const name of names) {
    parts.push(`<rect x="${lx}" y="${height - 14}" width="10" height="10" fill="${COLOURS[name] ?? '#bbbbbb'}"/>`,
      `<text x="${lx + 14}" y="${height - 5}">${escape(name)}</text>`)
    lx += 24 + name.length * 7
  }
  if (shown.some((g) => Number.isFinite(g.aim))) {
    parts.push(`<line x1="${lx}" y1="${height - 9}" x2="${lx + 16}" y2="${height - 9}" stroke="#d62728" stroke-width="2" stroke-dasharray="4 3"/>`,
      `<text x="${lx + 20}" y="${height - 5}">${escape(aimLabel)}</text>`)
  }
  parts.push('</svg>')
  return parts.filter((p) => p !== '').join('\n') + '\n'
}
