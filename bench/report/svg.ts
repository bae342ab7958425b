/**
 * Line charts as standalone SVG documents, for the benchmark report.
 *
 * `lineChart` is a pure function: it takes a chart description and returns the text of a complete
 * `<svg>` document (no XML declaration, no external resources, no scripts), readable in a browser
 * and in GitHub's file view.
 *
 * Layout, top to bottom: title, optional note (wrapped), plot area with its axes, axis labels. The
 * legend sits to the right of the plot, in as many columns as it needs; when that would take more
 * than ~40% of the width it goes below the x-axis label instead, wrapping into rows, and the document
 * grows taller by the legend's height.
 *
 * Elements carry classes (`plot-area`, `grid`, `x-ticks`, `y-ticks`, `marker-lines`, `markers`,
 * `series`, `legend`, `legend-item`, `title`, `note`, `x-label`, `y-label`) so that the output can be
 * inspected or restyled.
 *
 * Axes: linear ticks step by 1/2/5 × 10^k (about 5–8 of them) and the domain is widened to whole
 * steps; log ticks sit at 1/2/5 × 10^k (powers of ten only over many decades). Points that cannot be
 * drawn (NaN, ±Infinity, ≤ 0 on a log axis) are skipped and break the line; a series with nothing
 * to draw still has its legend entry.
 */

export interface Point {
  x: number;
  y: number;
}

export interface Series {
  name: string;
  points: Point[];
  dashed?: boolean;
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  xLog?: boolean; // log10 axis
  yLog?: boolean;
  series: Series[];
  width?: number; // default 720
  height?: number; // default 420
  /** Vertical marker lines (e.g. "leader killed" at x = 3.0). */
  xMarkers?: Array<{ x: number; label: string }>;
  /** Horizontal reference lines (e.g. "floor 0.35 ms"). */
  yMarkers?: Array<{ y: number; label: string }>;
  /** Optional subtitle line under the title (small text). */
  note?: string;
}

// ---------------------------------------------------------------------------------------------
// Style

const FONT_FAMILY = 'Helvetica, Arial, sans-serif';
const TITLE_SIZE = 16;
const MIN_TITLE_SIZE = 11;
const NOTE_SIZE = 12;
const AXIS_LABEL_SIZE = 13;
const TICK_SIZE = 11;
const LEGEND_SIZE = 12;
const MARKER_LABEL_SIZE = 11;

const TEXT_COLOUR = '#222';
const MUTED_TEXT_COLOUR = '#555';
const GRID_COLOUR = '#e6e6e6';
const FRAME_COLOUR = '#999';
const MARKER_COLOUR = '#444';

/**
 * Colourblind-friendly colours: the Okabe–Ito set without its yellow (too pale on white), then
 * dark picks from Paul Tol's "muted" scheme and a neutral grey. Series beyond the palette reuse it
 * with a dash pattern (and hollow point markers).
 */
const PALETTE = [
  '#0072B2', // blue
  '#E69F00', // orange
  '#009E73', // bluish green
  '#D55E00', // vermillion
  '#CC79A7', // reddish purple
  '#56B4E9', // sky blue
  '#332288', // indigo
  '#999933', // olive
  '#882255', // wine
  '#666666', // grey
];

/** Dash pattern per pass through the palette ('' = solid). */
const CYCLE_DASHES = ['', '7 4', '2 3', '10 3 2 3', '4 2 4 6'];
/** Dash pattern for `dashed: true` series in the first pass (later passes use `DASHED_LATER`). */
const DASHED_FIRST = '6 4';
const DASHED_LATER = '12 4';

const DEFAULT_WIDTH = 720;
const DEFAULT_HEIGHT = 420;
const MIN_WIDTH = 240;
const MIN_HEIGHT = 180;

const TICK_LENGTH = 5;
const LEGEND_ROW = 18;
const LEGEND_SWATCH = 22;
const LEGEND_MAX_CHARS = 48;
const DOMAIN_PAD = 0.02; // linear axes: fraction of the nice domain added on each side
const LOG_DOMAIN_PAD = 0.04; // log axes: fraction of the data's decades added on each side

// ---------------------------------------------------------------------------------------------
// Public entry point

export function lineChart(spec: ChartSpec): string {
  const width = dimension(spec.width, DEFAULT_WIDTH, MIN_WIDTH);
  const height = dimension(spec.height, DEFAULT_HEIGHT, MIN_HEIGHT);
  const xLog = spec.xLog === true;
  const yLog = spec.yLog === true;
  const series = Array.isArray(spec.series) ? spec.series : [];
  const xOk = (v: number): boolean => Number.isFinite(v) && (!xLog || v > 0);
  const yOk = (v: number): boolean => Number.isFinite(v) && (!yLog || v > 0);

  const xMarkers = (spec.xMarkers ?? []).filter((m) => xOk(m.x));
  const yMarkers = (spec.yMarkers ?? []).filter((m) => yOk(m.y));

  // Drawable runs of each series: a point that cannot be drawn breaks the line.
  const runs: Point[][][] = series.map((s) => {
    const out: Point[][] = [];
    let run: Point[] = [];
    for (const p of Array.isArray(s.points) ? s.points : []) {
      if (p !== null && typeof p === 'object' && xOk(p.x) && yOk(p.y)) {
        run.push({ x: p.x, y: p.y });
      } else if (run.length > 0) {
        out.push(run);
        run = [];
      }
    }
    if (run.length > 0) out.push(run);
    return out;
  });

  const xValues: number[] = xMarkers.map((m) => m.x);
  const yValues: number[] = yMarkers.map((m) => m.y);
  for (const seriesRuns of runs) {
    for (const run of seriesRuns) {
      for (const p of run) {
        xValues.push(p.x);
        yValues.push(p.y);
      }
    }
  }
  const xAxis = xLog ? logAxis(xValues) : linearAxis(xValues);
  const yAxis = yLog ? logAxis(yValues) : linearAxis(yValues);

  // ---- Vertical layout of the header
  const title = String(spec.title ?? '');
  const titleSize = fitFontSize(title, width - 24, TITLE_SIZE, MIN_TITLE_SIZE, true);
  const titleBaseline = 10 + titleSize;
  const noteLines = spec.note ? wrapText(String(spec.note), width - 24, NOTE_SIZE) : [];
  const noteBaselines = noteLines.map((_, i) => titleBaseline + 6 + NOTE_SIZE + i * (NOTE_SIZE + 4));
  const headerBottom = noteBaselines.length > 0 ? noteBaselines[noteBaselines.length - 1]! : titleBaseline;
  const plotTop = headerBottom + 16;

  // ---- Horizontal layout: y tick labels and y-axis label on the left
  const yLabelText = String(spec.yLabel ?? '');
  const xLabelText = String(spec.xLabel ?? '');
  const yTickWidth = Math.max(0, ...yAxis.ticks.map((t) => textWidth(t.label, TICK_SIZE)));
  const plotLeft = Math.round(10 + (yLabelText ? AXIS_LABEL_SIZE + 10 : 0) + yTickWidth + 6 + TICK_LENGTH);
  const bottomSpace = TICK_LENGTH + 4 + TICK_SIZE + (xLabelText ? 10 + AXIS_LABEL_SIZE : 0) + 12;
  const plotBottom = height - bottomSpace;
  const plotHeight = Math.max(40, plotBottom - plotTop);

  // Half of the widest x tick label may stick out to the right of the plot.
  const xTickOverhang = Math.max(0, ...xAxis.ticks.map((t) => textWidth(t.label, TICK_SIZE) / 2)) + 6;

  // ---- Legend
  const names = series.map((s) => truncate(String(s?.name ?? ''), LEGEND_MAX_CHARS));
  const itemWidths = names.map((n) => LEGEND_SWATCH + 6 + textWidth(n, LEGEND_SIZE));
  let legendPlacement: 'none' | 'right' | 'below' = 'none';
  let legendColumns = 0;
  let legendRowsPerColumn = 0;
  let legendColumnWidth = 0;
  if (series.length > 0) {
    legendColumnWidth = Math.ceil(Math.max(...itemWidths) + 14);
    legendRowsPerColumn = Math.max(1, Math.floor(plotHeight / LEGEND_ROW));
    legendColumns = Math.ceil(series.length / legendRowsPerColumn);
    legendPlacement = legendColumns * legendColumnWidth <= width * 0.42 ? 'right' : 'below';
  }
  const legendWidth = legendPlacement === 'right' ? legendColumns * legendColumnWidth : 0;
  const legendGap = legendPlacement === 'right' ? Math.max(16, xTickOverhang) : 0;
  const rightSpace = legendPlacement === 'right' ? 10 + legendWidth + legendGap : Math.max(20, xTickOverhang);
  const plotRight = Math.max(plotLeft + 60, width - rightSpace);
  const plotWidth = plotRight - plotLeft;

  // Legend below: a grid of equal columns, as many as fit across the document, filled row by row.
  const belowPositions: Array<{ x: number; row: number }> = [];
  let belowRows = 0;
  if (legendPlacement === 'below') {
    const perRow = Math.max(1, Math.floor((width - 20 + 14) / legendColumnWidth));
    series.forEach((_, i) => belowPositions.push({ x: 10 + (i % perRow) * legendColumnWidth, row: Math.floor(i / perRow) }));
    belowRows = Math.ceil(series.length / perRow);
  }
  const legendBelowTop = height - 2;
  const docHeight = legendPlacement === 'below' ? legendBelowTop + belowRows * LEGEND_ROW + 8 : height;

  // ---- Scales
  const sx = (v: number): number => plotLeft + xAxis.unit(v) * plotWidth;
  const sy = (v: number): number => plotBottom - yAxis.unit(v) * plotHeight;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${num(docHeight)}" viewBox="0 0 ${width} ${num(docHeight)}" ` +
      `font-family="${FONT_FAMILY}" role="img">`,
  );
  out.push(`<title>${escapeXml(title)}</title>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${num(docHeight)}" fill="#ffffff"/>`);

  // ---- Grid
  out.push(`<g class="grid" stroke="${GRID_COLOUR}" stroke-width="1">`);
  for (const t of xAxis.ticks) {
    const x = num(sx(t.value));
    out.push(`<line x1="${x}" y1="${num(plotTop)}" x2="${x}" y2="${num(plotBottom)}"/>`);
  }
  for (const t of yAxis.ticks) {
    const y = num(sy(t.value));
    out.push(`<line x1="${num(plotLeft)}" y1="${y}" x2="${num(plotRight)}" y2="${y}"/>`);
  }
  out.push('</g>');
  out.push(
    `<rect class="plot-area" x="${num(plotLeft)}" y="${num(plotTop)}" width="${num(plotWidth)}" height="${num(plotHeight)}" ` +
      `fill="none" stroke="${FRAME_COLOUR}" stroke-width="1"/>`,
  );

  // ---- Ticks and tick labels
  const xLabelled = chooseLabels(
    xAxis.ticks,
    xAxis.ticks.map((t) => sx(t.value)),
    xAxis.ticks.map((t) => textWidth(t.label, TICK_SIZE)),
    8,
  );
  out.push(`<g class="x-ticks" font-size="${TICK_SIZE}" fill="${TEXT_COLOUR}" text-anchor="middle">`);
  xAxis.ticks.forEach((t, i) => {
    const x = num(sx(t.value));
    out.push(`<line x1="${x}" y1="${num(plotBottom)}" x2="${x}" y2="${num(plotBottom + TICK_LENGTH)}" stroke="${FRAME_COLOUR}"/>`);
    if (xLabelled[i]) out.push(`<text x="${x}" y="${num(plotBottom + TICK_LENGTH + 3 + TICK_SIZE)}">${escapeXml(t.label)}</text>`);
  });
  out.push('</g>');

  const yLabelled = chooseLabels(
    yAxis.ticks,
    yAxis.ticks.map((t) => sy(t.value)),
    yAxis.ticks.map(() => TICK_SIZE),
    4,
  );
  out.push(`<g class="y-ticks" font-size="${TICK_SIZE}" fill="${TEXT_COLOUR}" text-anchor="end">`);
  yAxis.ticks.forEach((t, i) => {
    const y = sy(t.value);
    out.push(`<line x1="${num(plotLeft - TICK_LENGTH)}" y1="${num(y)}" x2="${num(plotLeft)}" y2="${num(y)}" stroke="${FRAME_COLOUR}"/>`);
    if (yLabelled[i]) {
      out.push(`<text x="${num(plotLeft - TICK_LENGTH - 4)}" y="${num(y + TICK_SIZE * 0.35)}">${escapeXml(t.label)}</text>`);
    }
  });
  out.push('</g>');

  // ---- Marker lines (under the series)
  const xMarkerPx = xMarkers.map((m) => sx(m.x));
  const yMarkerPx = yMarkers.map((m) => sy(m.y));
  if (xMarkers.length + yMarkers.length > 0) {
    out.push(`<g class="marker-lines" stroke="${MARKER_COLOUR}" stroke-width="1.2">`);
    for (const x of xMarkerPx) {
      out.push(`<line x1="${num(x)}" y1="${num(plotTop)}" x2="${num(x)}" y2="${num(plotBottom)}" stroke-dasharray="5 4"/>`);
    }
    for (const y of yMarkerPx) {
      out.push(`<line x1="${num(plotLeft)}" y1="${num(y)}" x2="${num(plotRight)}" y2="${num(y)}" stroke-dasharray="2 3"/>`);
    }
    out.push('</g>');
  }

  // ---- Series
  series.forEach((_, index) => {
    const style = seriesStyle(index, series[index]?.dashed === true);
    const parts: string[] = [];
    for (const run of runs[index]!) {
      if (run.length > 1) {
        const pts = run.map((p) => `${num(sx(p.x))},${num(sy(p.y))}`).join(' ');
        parts.push(`<polyline points="${pts}"/>`);
      }
    }
    const circles: string[] = [];
    for (const run of runs[index]!) {
      for (const p of run) circles.push(`<circle cx="${num(sx(p.x))}" cy="${num(sy(p.y))}" r="2.8"/>`);
    }
    if (parts.length + circles.length === 0) return;
    out.push(`<g class="series">`);
    if (parts.length > 0) {
      out.push(
        `<g fill="none" stroke="${style.colour}" stroke-width="1.8" stroke-linejoin="round" stroke-linecap="round"` +
          `${style.dash ? ` stroke-dasharray="${style.dash}"` : ''}>`,
      );
      out.push(...parts);
      out.push('</g>');
    }
    if (circles.length > 0) {
      out.push(`<g fill="${style.hollow ? '#ffffff' : style.colour}" stroke="${style.colour}" stroke-width="1.2">`);
      out.push(...circles);
      out.push('</g>');
    }
    out.push('</g>');
  });

  // ---- Marker labels (above the series, with a white halo)
  if (xMarkers.length + yMarkers.length > 0) {
    out.push(
      `<g class="markers" font-size="${MARKER_LABEL_SIZE}" fill="${TEXT_COLOUR}" stroke="#ffffff" stroke-width="4" ` +
        `stroke-linejoin="round" paint-order="stroke">`,
    );
    const placed: Box[] = [];
    const lineHeight = MARKER_LABEL_SIZE + 3;
    // x markers: along the top of the plot, next to their line, stacked in rows when they collide.
    const xOrder = xMarkers.map((_, i) => i).sort((a, b) => xMarkerPx[a]! - xMarkerPx[b]!);
    for (const i of xOrder) {
      const label = String(xMarkers[i]!.label ?? '');
      if (!label) continue;
      const w = textWidth(label, MARKER_LABEL_SIZE);
      const x = xMarkerPx[i]!;
      // Right of the line; else left of it; else shifted to stay inside the plot.
      const x0 =
        x + 4 + w <= plotRight - 2 ? x + 4 : x - 4 - w >= plotLeft + 2 ? x - 4 - w : Math.max(plotLeft + 2, plotRight - 2 - w);
      let row = 0;
      let box: Box;
      for (;;) {
        const baseline = plotTop + 4 + MARKER_LABEL_SIZE + row * lineHeight;
        box = { x0, x1: x0 + w, y0: baseline - MARKER_LABEL_SIZE, y1: baseline + 3 };
        if (!placed.some((b) => overlaps(b, box)) || baseline + lineHeight > plotBottom) break;
        row += 1;
      }
      placed.push(box);
      out.push(`<text x="${num(x0)}" y="${num(box.y1 - 3)}">${escapeXml(label)}</text>`);
    }
    // y markers: at the right end of their line, above it (below when at the top edge).
    for (let i = 0; i < yMarkers.length; i++) {
      const label = String(yMarkers[i]!.label ?? '');
      if (!label) continue;
      const w = textWidth(label, MARKER_LABEL_SIZE);
      const y = yMarkerPx[i]!;
      const above = y - 4 - MARKER_LABEL_SIZE >= plotTop;
      const baseline = above ? y - 4 : y + 4 + MARKER_LABEL_SIZE;
      const candidates: Array<{ anchor: 'end' | 'start'; x: number; box: Box }> = [
        { anchor: 'end', x: plotRight - 4, box: { x0: plotRight - 4 - w, x1: plotRight - 4, y0: baseline - MARKER_LABEL_SIZE, y1: baseline + 3 } },
        { anchor: 'start', x: plotLeft + 4, box: { x0: plotLeft + 4, x1: plotLeft + 4 + w, y0: baseline - MARKER_LABEL_SIZE, y1: baseline + 3 } },
      ];
      const chosen = candidates.find((c) => !placed.some((b) => overlaps(b, c.box))) ?? candidates[0]!;
      placed.push(chosen.box);
      out.push(
        `<text x="${num(chosen.x)}" y="${num(baseline)}"${chosen.anchor === 'end' ? ' text-anchor="end"' : ''}>${escapeXml(label)}</text>`,
      );
    }
    out.push('</g>');
  }

  // ---- Axis labels
  if (xLabelText) {
    const baseline = plotBottom + TICK_LENGTH + 3 + TICK_SIZE + 10 + AXIS_LABEL_SIZE;
    out.push(
      `<text class="x-label" x="${num(plotLeft + plotWidth / 2)}" y="${num(baseline)}" font-size="${AXIS_LABEL_SIZE}" ` +
        `fill="${TEXT_COLOUR}" text-anchor="middle">${escapeXml(xLabelText)}</text>`,
    );
  }
  if (yLabelText) {
    const cx = 10 + AXIS_LABEL_SIZE - 2;
    const cy = plotTop + plotHeight / 2;
    out.push(
      `<text class="y-label" x="${num(cx)}" y="${num(cy)}" font-size="${AXIS_LABEL_SIZE}" fill="${TEXT_COLOUR}" text-anchor="middle" ` +
        `transform="rotate(-90 ${num(cx)} ${num(cy)})">${escapeXml(yLabelText)}</text>`,
    );
  }

  // ---- Legend
  if (legendPlacement !== 'none') {
    out.push(`<g class="legend" font-size="${LEGEND_SIZE}" fill="${TEXT_COLOUR}">`);
    series.forEach((s, index) => {
      let x: number;
      let rowCentre: number;
      if (legendPlacement === 'right') {
        const column = Math.floor(index / legendRowsPerColumn);
        const row = index % legendRowsPerColumn;
        x = plotRight + legendGap + column * legendColumnWidth;
        rowCentre = plotTop + row * LEGEND_ROW + LEGEND_ROW / 2;
      } else {
        const pos = belowPositions[index]!;
        x = pos.x;
        rowCentre = legendBelowTop + pos.row * LEGEND_ROW + LEGEND_ROW / 2;
      }
      const style = seriesStyle(index, s?.dashed === true);
      const full = String(s?.name ?? '');
      const shown = names[index]!;
      out.push(
        `<g class="legend-item">` +
          (shown !== full ? `<title>${escapeXml(full)}</title>` : '') +
          `<line x1="${num(x)}" y1="${num(rowCentre)}" x2="${num(x + LEGEND_SWATCH)}" y2="${num(rowCentre)}" stroke="${style.colour}" ` +
          `stroke-width="1.8"${style.dash ? ` stroke-dasharray="${style.dash}"` : ''}/>` +
          `<circle cx="${num(x + LEGEND_SWATCH / 2)}" cy="${num(rowCentre)}" r="2.8" fill="${style.hollow ? '#ffffff' : style.colour}" ` +
          `stroke="${style.colour}" stroke-width="1.2"/>` +
          `<text x="${num(x + LEGEND_SWATCH + 6)}" y="${num(rowCentre + LEGEND_SIZE * 0.35)}">${escapeXml(shown)}</text>` +
          `</g>`,
      );
    });
    out.push('</g>');
  }

  // ---- Title and note
  out.push(
    `<text class="title" x="${num(width / 2)}" y="${num(titleBaseline)}" font-size="${titleSize}" font-weight="bold" ` +
      `fill="${TEXT_COLOUR}" text-anchor="middle">${escapeXml(title)}</text>`,
  );
  noteLines.forEach((line, i) => {
    out.push(
      `<text class="note" x="${num(width / 2)}" y="${num(noteBaselines[i]!)}" font-size="${NOTE_SIZE}" fill="${MUTED_TEXT_COLOUR}" ` +
        `text-anchor="middle">${escapeXml(line)}</text>`,
    );
  });

  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// Axes

interface Tick {
  value: number;
  label: string;
  /** Integer index used to thin labels evenly (multiple of the step, or the decade). */
  key: number;
  /** Preferred for labels when not all fit (every linear tick; powers of ten on log axes). */
  major: boolean;
}

interface Axis {
  ticks: Tick[];
  /** Maps a domain value to [0, 1]. */
  unit(v: number): number;
}

const MANTISSAS = [1, 2, 5] as const;

/** m × 10^e computed so that the result is the double nearest the decimal value. */
function decimal(m: number, e: number): number {
  return e >= 0 ? m * 10 ** e : m / 10 ** -e;
}

function linearAxis(values: number[]): Axis {
  let lo = values.length > 0 ? Math.min(...values) : 0;
  let hi = values.length > 0 ? Math.max(...values) : 1;
  if (lo === hi) {
    const d = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= d;
    hi += d;
  }
  if (!Number.isFinite(hi - lo)) {
    // Beyond the double range: two ticks at the ends.
    const half = hi / 2 - lo / 2;
    const unit = (v: number): number => (v / 2 - lo / 2) / half;
    return {
      ticks: [lo, hi].map((v, i) => ({ value: v, label: formatNumber(v), key: i, major: true })),
      unit,
    };
  }

  const { mantissa, exponent } = chooseLinearStep(lo, hi);
  const step = decimal(mantissa, exponent);
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const ticks: Tick[] = [];
  for (let i = first; i <= last; i++) {
    const value = decimal(i * mantissa, exponent);
    ticks.push({ value, label: formatNumber(value), key: i, major: true });
  }
  const niceLo = ticks[0]!.value;
  const niceHi = ticks[ticks.length - 1]!.value;
  const pad = (niceHi - niceLo) * DOMAIN_PAD;
  const d0 = niceLo - pad;
  const span = niceHi + pad - d0;
  return { ticks, unit: (v) => (v - d0) / span };
}

/** The 1/2/5 × 10^k step giving 5–8 ticks over [lo, hi] (closest to that when none does). */
function chooseLinearStep(lo: number, hi: number): { mantissa: number; exponent: number } {
  const base = Math.floor(Math.log10(hi - lo));
  let best = { mantissa: 1, exponent: base, score: Infinity };
  for (let e = base - 2; e <= base + 1; e++) {
    for (const m of MANTISSAS) {
      const step = decimal(m, e);
      const count = Math.ceil(hi / step - 1e-9) - Math.floor(lo / step + 1e-9) + 1;
      const score = count < 5 ? (5 - count) * 2 : count > 8 ? count - 8 : Math.abs(count - 6) * 0.1;
      if (score < best.score) best = { mantissa: m, exponent: e, score };
    }
  }
  return best;
}

function logAxis(values: number[]): Axis {
  let lo = values.length > 0 ? Math.min(...values) : 1;
  let hi = values.length > 0 ? Math.max(...values) : 10;
  if (lo === hi) {
    lo /= 2;
    hi *= 2;
  }
  const padded = (a: number, b: number): [number, number] => {
    const pad = (Math.log10(b) - Math.log10(a)) * LOG_DOMAIN_PAD;
    return [Math.log10(a) - pad, Math.log10(b) + pad];
  };
  let [l0, l1] = padded(lo, hi);
  let candidates = logTicks(10 ** l0, 10 ** l1);
  while (candidates.length < 2) {
    // Too narrow for two 1/2/5 ticks: widen evenly on both sides (1/2/5 values are < 0.4 decades apart).
    l0 -= 0.1;
    l1 += 0.1;
    candidates = logTicks(10 ** l0, 10 ** l1);
  }
  let ticks = candidates;
  if (ticks.length > 10) {
    // Many decades: powers of ten only, every n-th decade when there are still too many.
    const majors = candidates.filter((t) => t.major);
    const every = Math.max(1, Math.ceil(majors.length / 10));
    ticks = majors.filter((t) => ((t.key % every) + every) % every === 0);
  }
  const span = l1 - l0;
  return { ticks, unit: (v) => (Math.log10(v) - l0) / span };
}

/** Ticks at 1/2/5 × 10^k within [lo, hi]. */
function logTicks(lo: number, hi: number): Tick[] {
  const ticks: Tick[] = [];
  const eLo = Math.floor(Math.log10(lo)) - 1;
  const eHi = Math.ceil(Math.log10(hi)) + 1;
  for (let e = eLo; e <= eHi; e++) {
    for (const m of MANTISSAS) {
      const value = decimal(m, e);
      if (value >= lo * (1 - 1e-9) && value <= hi * (1 + 1e-9)) {
        ticks.push({ value, label: formatNumber(value), key: e, major: m === 1 });
      }
    }
  }
  return ticks;
}

/**
 * Which ticks get a label: all of them when the labels fit, else the preferred ("major") ticks,
 * thinned to every n-th until they fit. `positions` are pixel centres along the axis, `sizes` the
 * label extents along it.
 */
function chooseLabels(ticks: Tick[], positions: number[], sizes: number[], gap: number): boolean[] {
  const fits = (mask: boolean[]): boolean => {
    let prev = -1;
    for (let i = 0; i < ticks.length; i++) {
      if (!mask[i]) continue;
      if (prev >= 0 && Math.abs(positions[i]! - positions[prev]!) < (sizes[i]! + sizes[prev]!) / 2 + gap) return false;
      prev = i;
    }
    return true;
  };
  const all = ticks.map(() => true);
  if (fits(all)) return all;
  const majorCount = ticks.filter((t) => t.major).length;
  for (let every = 1; every <= Math.max(1, majorCount); every++) {
    const mask = ticks.map((t) => t.major && ((t.key % every) + every) % every === 0);
    if (mask.some(Boolean) && fits(mask)) return mask;
  }
  // Fall back to a single label.
  return ticks.map((_, i) => i === 0);
}

// ---------------------------------------------------------------------------------------------
// Text and numbers

const SI_SUFFIXES: Array<[number, string]> = [
  [1e12, 'T'],
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
];

/** Compact tick label: 0.5, 1, 20, 1.5k, 10k, 1M; never a float artefact like 0.30000000000000004. */
function formatNumber(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  for (const [div, suffix] of SI_SUFFIXES) {
    if (a >= div) return clean(v / div) + suffix;
  }
  return clean(v);
}

function clean(v: number): string {
  const s = String(Number(v.toPrecision(12)));
  return s === '-0' ? '0' : s;
}

/** Coordinates: one decimal. */
function num(v: number): string {
  const r = Math.round(v * 10) / 10;
  return String(r === 0 ? 0 : r);
}

function dimension(v: number | undefined, fallback: number, min: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) return fallback;
  return Math.max(min, Math.round(v));
}

const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function escapeXml(text: string): string {
  return text.replace(XML_INVALID, '\uFFFD').replace(/[&<>"']/g, (c) => {
    switch (c) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      default:
        return '&apos;';
    }
  });
}

/** Approximate advance widths (em) of Helvetica/Arial, enough to lay out labels without a font. */
function charWidth(c: string): number {
  if (' .,:;\'!|il'.includes(c)) return 0.28;
  if ('fjrtI()[]-'.includes(c)) return 0.36;
  if ('mwMW@%'.includes(c)) return 0.86;
  if (c >= '0' && c <= '9') return 0.56;
  if (c >= 'A' && c <= 'Z') return 0.68;
  if (c.charCodeAt(0) > 0x2e7f) return 1; // CJK and other wide scripts
  return 0.56;
}

function textWidth(text: string, size: number, bold = false): number {
  let w = 0;
  for (const c of text) w += charWidth(c);
  return w * size * (bold ? 1.08 : 1);
}

/** The largest font size ≤ max (and ≥ min) at which `text` fits in `available` pixels. */
function fitFontSize(text: string, available: number, max: number, min: number, bold: boolean): number {
  for (let size = max; size > min; size--) {
    if (textWidth(text, size, bold) <= available) return size;
  }
  return min;
}

function wrapText(text: string, available: number, size: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split(/\r?\n/)) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter((w) => w.length > 0)) {
      const candidate = line ? `${line} ${word}` : word;
      if (line && textWidth(candidate, size) > available) {
        lines.push(line);
        line = word;
      } else {
        line = candidate;
      }
    }
    if (line) lines.push(line);
  }
  return lines;
}

function truncate(text: string, maxChars: number): string {
  const chars = [...text];
  return chars.length <= maxChars ? text : `${chars.slice(0, maxChars - 1).join('')}…`;
}

// ---------------------------------------------------------------------------------------------
// Series styles and geometry

function seriesStyle(index: number, dashed: boolean): { colour: string; dash: string; hollow: boolean } {
  const cycle = Math.floor(index / PALETTE.length);
  const colour = PALETTE[index % PALETTE.length]!;
  const cycleDash = CYCLE_DASHES[cycle % CYCLE_DASHES.length]!;
  const dash = dashed ? (cycle === 0 ? DASHED_FIRST : DASHED_LATER) : cycleDash;
  return { colour, dash, hollow: cycle % 2 === 1 };
}

interface Box {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

function overlaps(a: Box, b: Box): boolean {
  return a.x0 < b.x1 + 3 && b.x0 < a.x1 + 3 && a.y0 < b.y1 && b.y0 < a.y1;
}
