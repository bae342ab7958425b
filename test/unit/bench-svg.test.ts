import { describe, expect, it } from 'vitest';
import { lineChart, type ChartSpec, type Series } from '../../bench/report/svg.js';

// ---------------------------------------------------------------------------------------------
// A small XML reader for the charts: it fails on anything unbalanced or not escaped.

interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  /** Raw (still escaped) character data directly inside this element. */
  text: string;
}

const TAG = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[A-Za-z_:][\w:.-]*="[^"<]*")*)\s*(\/?)>/y;
const ATTR = /([A-Za-z_:][\w:.-]*)="([^"<]*)"/g;
const ENTITY_OK = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/y;

function parseXml(doc: string): XmlNode {
  const root: XmlNode = { name: '#root', attrs: {}, children: [], text: '' };
  const stack: XmlNode[] = [root];
  let i = 0;
  while (i < doc.length) {
    const c = doc[i]!;
    if (c === '<') {
      TAG.lastIndex = i;
      const m = TAG.exec(doc);
      if (!m) throw new Error(`malformed tag at ${i}: ${doc.slice(i, i + 60)}`);
      const [whole, closing, name, attrText, selfClosing] = m;
      if (closing) {
        if (attrText || selfClosing) throw new Error(`bad closing tag ${whole}`);
        const open = stack.pop();
        if (!open || open.name !== name) throw new Error(`</${name}> closes <${open?.name}> at ${i}`);
      } else {
        const attrs: Record<string, string> = {};
        for (const a of attrText!.matchAll(ATTR)) {
          if (a[1]! in attrs) throw new Error(`duplicate attribute ${a[1]} in ${whole}`);
          checkEscaped(a[2]!);
          attrs[a[1]!] = a[2]!;
        }
        const node: XmlNode = { name: name!, attrs, children: [], text: '' };
        stack[stack.length - 1]!.children.push(node);
        if (!selfClosing) stack.push(node);
      }
      i += whole.length;
    } else {
      const next = doc.indexOf('<', i);
      const end = next < 0 ? doc.length : next;
      const text = doc.slice(i, end);
      checkEscaped(text);
      if (text.includes('>')) throw new Error(`unescaped > in ${JSON.stringify(text)}`);
      const parent = stack[stack.length - 1]!;
      if (parent === root && text.trim() !== '') throw new Error(`text outside the root element: ${text}`);
      parent.text += text;
      i = end;
    }
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1]!.name}>`);
  const elements = root.children;
  if (elements.length !== 1) throw new Error(`expected one root element, got ${elements.length}`);
  return elements[0]!;
}

function checkEscaped(text: string): void {
  for (let j = text.indexOf('&'); j >= 0; j = text.indexOf('&', j + 1)) {
    ENTITY_OK.lastIndex = j;
    if (!ENTITY_OK.test(text)) throw new Error(`unescaped & in ${JSON.stringify(text)}`);
  }
}

function unescape(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

function all(node: XmlNode, pred: (n: XmlNode) => boolean, out: XmlNode[] = []): XmlNode[] {
  if (pred(node)) out.push(node);
  for (const child of node.children) all(child, pred, out);
  return out;
}

const byClass = (root: XmlNode, cls: string): XmlNode[] => all(root, (n) => n.attrs.class === cls);
const one = (root: XmlNode, cls: string): XmlNode => {
  const found = byClass(root, cls);
  expect(found, `elements of class ${cls}`).toHaveLength(1);
  return found[0]!;
};
const texts = (node: XmlNode): string[] => all(node, (n) => n.name === 'text').map((n) => unescape(n.text));
const n = (v: string | undefined): number => {
  expect(v).toBeDefined();
  const x = Number(v);
  expect(Number.isFinite(x), `number ${v}`).toBe(true);
  return x;
};

interface Rect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

function plotArea(svg: XmlNode): Rect {
  const r = one(svg, 'plot-area');
  const x0 = n(r.attrs.x);
  const y0 = n(r.attrs.y);
  return { x0, y0, x1: x0 + n(r.attrs.width), y1: y0 + n(r.attrs.height) };
}

/** Points of every series group: circles, and the vertices of their polylines. */
function seriesGeometry(svg: XmlNode): Array<{ circles: Array<[number, number]>; vertices: Array<[number, number]> }> {
  return byClass(svg, 'series').map((g) => ({
    circles: all(g, (e) => e.name === 'circle').map((c) => [n(c.attrs.cx), n(c.attrs.cy)] as [number, number]),
    vertices: all(g, (e) => e.name === 'polyline').flatMap((p) =>
      p.attrs.points!.trim().split(/\s+/).map((pair) => {
        const [x, y] = pair.split(',');
        return [n(x), n(y)] as [number, number];
      }),
    ),
  }));
}

function inside(p: [number, number], r: Rect): boolean {
  return p[0] >= r.x0 && p[0] <= r.x1 && p[1] >= r.y0 && p[1] <= r.y1;
}

/** "20k" → 20000, "0.5" → 0.5. */
function parseCompact(label: string): number {
  const m = /^(-?\d+(?:\.\d+)?(?:e-?\d+)?)([kMGT]?)$/.exec(label);
  expect(m, `tick label ${label}`).not.toBeNull();
  const mult = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12 }[m![2] as '' | 'k' | 'M' | 'G' | 'T'];
  return Number(m![1]) * mult;
}

function isOneTwoFive(v: number): boolean {
  const e = Math.floor(Math.log10(v) + 1e-9);
  const mantissa = v / 10 ** e;
  return [1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-6);
}

function render(spec: ChartSpec): { doc: string; svg: XmlNode } {
  const doc = lineChart(spec);
  return { doc, svg: parseXml(doc) };
}

const base = (series: Series[], extra: Partial<ChartSpec> = {}): ChartSpec => ({
  title: 'Latency',
  xLabel: 'throughput (ops/s)',
  yLabel: 'latency (ms)',
  series,
  ...extra,
});

// ---------------------------------------------------------------------------------------------

describe('lineChart', () => {
  it('renders a well-formed standalone document with a background, viewBox and size', () => {
    const { doc, svg } = render(
      base([
        { name: 'a', points: [{ x: 1, y: 2 }, { x: 2, y: 3 }] },
        { name: 'b', points: [{ x: 1, y: 1 }, { x: 3, y: 5 }], dashed: true },
      ]),
    );
    expect(doc.startsWith('<svg')).toBe(true);
    expect(doc.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg.name).toBe('svg');
    expect(svg.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
    expect(svg.attrs.width).toBe('720');
    expect(svg.attrs.height).toBe('420');
    expect(svg.attrs.viewBox).toBe('0 0 720 420');
    expect(svg.attrs['font-family']).toMatch(/sans-serif/);
    const background = svg.children.find((c) => c.name === 'rect');
    expect(background?.attrs).toMatchObject({ x: '0', y: '0', width: '720', height: '420', fill: '#ffffff' });
    expect(doc).not.toMatch(/NaN|Infinity|undefined/);
  });

  it('honours width and height', () => {
    const { svg } = render(base([{ name: 'a', points: [{ x: 1, y: 1 }, { x: 2, y: 2 }] }], { width: 500, height: 300 }));
    expect(svg.attrs.viewBox).toBe('0 0 500 300');
    const area = plotArea(svg);
    expect(area.x1).toBeLessThanOrEqual(500);
    expect(area.y1).toBeLessThanOrEqual(300);
  });

  it('the tag checker rejects broken documents', () => {
    expect(() => parseXml('<svg><g></svg>')).toThrow();
    expect(() => parseXml('<svg><text>a < b</text></svg>')).toThrow();
    expect(() => parseXml('<svg><text>a & b</text></svg>')).toThrow();
    expect(() => parseXml('<svg><g/></svg>')).not.toThrow();
  });

  it('lists every series name in the legend, escaped', () => {
    const names = ['cairn-3 jute', 'zk <3.9> & "co"', "etcd's grpc", 'plain'];
    const { doc, svg } = render(base(names.map((name, i) => ({ name, points: [{ x: i, y: i + 1 }, { x: i + 1, y: i + 2 }] }))));
    const legend = one(svg, 'legend');
    expect(texts(legend)).toEqual(names);
    expect(doc).toContain('zk &lt;3.9&gt; &amp; &quot;co&quot;');
    expect(doc).toContain('etcd&apos;s grpc');
    expect(doc).not.toContain('zk <3.9>');
  });

  it('escapes title, note, axis labels and marker labels', () => {
    const { doc, svg } = render(
      base([{ name: 's', points: [{ x: 1, y: 1 }, { x: 2, y: 2 }] }], {
        title: 'p99 <&> "quoted"',
        note: "note <b> & 'c'",
        xLabel: 'x < 1',
        yLabel: 'y > 2 & more',
        xMarkers: [{ x: 1.5, label: '<kill>' }],
        yMarkers: [{ y: 1.5, label: 'floor & ceiling' }],
      }),
    );
    expect(doc).not.toContain('<&>');
    expect(doc).toContain('p99 &lt;&amp;&gt; &quot;quoted&quot;');
    const allText = texts(svg);
    expect(allText).toContain('p99 <&> "quoted"');
    expect(allText).toContain("note <b> & 'c'");
    expect(allText).toContain('x < 1');
    expect(allText).toContain('y > 2 & more');
    expect(texts(one(svg, 'markers'))).toEqual(['<kill>', 'floor & ceiling']);
  });

  it('puts every point and vertex inside the plot area, in the right order', () => {
    const series: Series[] = [
      { name: 'up', points: [0, 1, 2, 3, 4, 5].map((x) => ({ x, y: x * x })) },
      { name: 'down', points: [0, 1, 2, 3, 4, 5].map((x) => ({ x, y: 30 - x })) },
    ];
    const { svg } = render(base(series));
    const area = plotArea(svg);
    const geometry = seriesGeometry(svg);
    expect(geometry).toHaveLength(2);
    for (const g of geometry) {
      expect(g.circles).toHaveLength(6);
      expect(g.vertices).toEqual(g.circles);
      for (const p of g.circles) expect(inside(p, area), `${p} inside ${JSON.stringify(area)}`).toBe(true);
      for (let i = 1; i < g.circles.length; i++) expect(g.circles[i]![0]).toBeGreaterThan(g.circles[i - 1]![0]);
    }
    // Larger y is higher up (smaller SVG y).
    const up = geometry[0]!.circles;
    for (let i = 1; i < up.length; i++) expect(up[i]![1]).toBeLessThan(up[i - 1]![1]);
    // Linear x: equal steps in data are equal steps on screen.
    const gaps = up.slice(1).map((p, i) => p[0] - up[i]![0]);
    for (const gap of gaps) expect(gap).toBeCloseTo(gaps[0]!, 0);
    // The extremes use most of the plot (small pad only).
    const xs = up.map((p) => p[0]);
    expect(Math.max(...xs) - Math.min(...xs)).toBeGreaterThan((area.x1 - area.x0) * 0.8);
  });

  it('maps log axes logarithmically', () => {
    const { svg } = render(base([{ name: 'l', points: [1, 10, 100, 1000].map((v) => ({ x: v, y: v })) }], { xLog: true, yLog: true }));
    const [g] = seriesGeometry(svg);
    const c = g!.circles;
    expect(c).toHaveLength(4);
    const dx = c.slice(1).map((p, i) => p[0] - c[i]![0]);
    const dy = c.slice(1).map((p, i) => c[i]![1] - p[1]);
    for (const d of dx) expect(Math.abs(d - dx[0]!)).toBeLessThan(0.3);
    for (const d of dy) expect(Math.abs(d - dy[0]!)).toBeLessThan(0.3);
    expect(dx[0]).toBeGreaterThan(50);
  });

  it('puts log ticks at 1/2/5 × 10^k with compact labels', () => {
    const throughput = [100, 300, 1000, 3000, 10000, 20000];
    const { svg } = render(
      base([{ name: 'lat', points: throughput.map((x, i) => ({ x, y: 0.3 * 1.8 ** (i * 2) })) }], { xLog: true, yLog: true }),
    );
    const xLabels = texts(one(svg, 'x-ticks'));
    expect(xLabels).toEqual(['100', '200', '500', '1k', '2k', '5k', '10k', '20k']);
    const yLabels = texts(one(svg, 'y-ticks'));
    expect(yLabels.length).toBeGreaterThanOrEqual(4);
    const yValues = yLabels.map(parseCompact);
    for (const v of yValues) expect(isOneTwoFive(v), `y tick ${v}`).toBe(true);
    expect(yValues).toEqual([...yValues].sort((a, b) => a - b));
    expect(yLabels).toContain('0.5');
    expect(yLabels).toContain('1');
    // Every grid line / tick sits inside the plot.
    const area = plotArea(svg);
    for (const line of all(one(svg, 'grid'), (e) => e.name === 'line')) {
      expect(n(line.attrs.x1)).toBeGreaterThanOrEqual(area.x0);
      expect(n(line.attrs.x2)).toBeLessThanOrEqual(area.x1);
      expect(n(line.attrs.y1)).toBeGreaterThanOrEqual(area.y0);
      expect(n(line.attrs.y2)).toBeLessThanOrEqual(area.y1);
    }
  });

  it('spans many decades with 1/2/5 (or power-of-ten) ticks and M suffixes', () => {
    const { svg } = render(base([{ name: 'w', points: [{ x: 0.001, y: 5 }, { x: 5e6, y: 7 }] }], { xLog: true }));
    const values = texts(one(svg, 'x-ticks')).map(parseCompact);
    expect(values.length).toBeGreaterThanOrEqual(3);
    expect(values.length).toBeLessThanOrEqual(10);
    for (const v of values) expect(isOneTwoFive(v)).toBe(true);
    expect(texts(one(svg, 'x-ticks')).some((l) => l.endsWith('M'))).toBe(true);
  });

  it('chooses 1/2/5 linear steps, 5–8 ticks, without float artefacts', () => {
    for (const [lo, hi] of [
      [0, 10],
      [0, 0.3],
      [0.1, 0.7],
      [3, 97],
      [-42, 17],
      [1000, 125000],
      [0.0001, 0.0009],
    ] as const) {
      const { svg } = render(base([{ name: 's', points: [{ x: lo, y: lo }, { x: hi, y: hi }] }]));
      for (const cls of ['x-ticks', 'y-ticks']) {
        const ticks = all(one(svg, cls), (e) => e.name === 'line');
        expect(ticks.length, `${cls} for [${lo}, ${hi}]`).toBeGreaterThanOrEqual(4);
        expect(ticks.length, `${cls} for [${lo}, ${hi}]`).toBeLessThanOrEqual(9);
        const labels = texts(one(svg, cls));
        for (const label of labels) expect(label, `[${lo}, ${hi}]`).toMatch(/^-?\d+(\.\d{1,4})?[kM]?$/);
        const values = labels.map(parseCompact);
        const steps = values.slice(1).map((v, i) => v - values[i]!);
        for (const s of steps) {
          expect(s).toBeCloseTo(steps[0]!, 9);
          expect(isOneTwoFive(s), `step ${s}`).toBe(true);
        }
        // The data range is covered by the ticks (within one step).
        expect(values[0]!).toBeLessThanOrEqual(lo + 1e-12);
        expect(values[values.length - 1]!).toBeGreaterThanOrEqual(hi - 1e-12);
      }
    }
    const { svg } = render(base([{ name: 't', points: [{ x: 0, y: 0 }, { x: 10, y: 1 }] }]));
    expect(texts(one(svg, 'x-ticks'))).toEqual(['0', '2', '4', '6', '8', '10']);
  });

  it('skips non-positive values on log axes without NaN', () => {
    const { doc, svg } = render(
      base(
        [
          {
            name: 'mixed',
            points: [
              { x: 0, y: 1 },
              { x: -5, y: 2 },
              { x: 10, y: 0 },
              { x: 100, y: 5 },
              { x: 1000, y: 10 },
              { x: 2000, y: -3 },
            ],
          },
          { name: 'nothing drawable', points: [{ x: 0, y: 0 }, { x: -1, y: 4 }] },
        ],
        { xLog: true, yLog: true, yMarkers: [{ y: 0, label: 'zero' }], xMarkers: [{ x: -1, label: 'negative' }] },
      ),
    );
    expect(doc).not.toMatch(/NaN|Infinity/);
    const geometry = seriesGeometry(svg);
    expect(geometry).toHaveLength(1);
    expect(geometry[0]!.circles).toHaveLength(2);
    expect(geometry[0]!.vertices).toHaveLength(2);
    expect(texts(one(svg, 'legend'))).toEqual(['mixed', 'nothing drawable']);
    expect(doc).not.toContain('zero');
    expect(doc).not.toContain('negative');
    for (const v of texts(one(svg, 'x-ticks')).map(parseCompact)) expect(v).toBeGreaterThan(0);
  });

  it('breaks the line at points that cannot be drawn and skips NaN / Infinity', () => {
    const { doc, svg } = render(
      base([
        {
          name: 'gappy',
          points: [
            { x: 1, y: 1 },
            { x: 2, y: 2 },
            { x: Number.NaN, y: 3 },
            { x: 4, y: Number.POSITIVE_INFINITY },
            { x: 5, y: 5 },
            { x: 6, y: 6 },
            { x: Number.NEGATIVE_INFINITY, y: 1 },
            { x: 8, y: 2 },
          ],
        },
      ]),
    );
    expect(doc).not.toMatch(/NaN|Infinity/);
    const series = one(svg, 'series');
    expect(all(series, (e) => e.name === 'polyline')).toHaveLength(2);
    expect(all(series, (e) => e.name === 'circle')).toHaveLength(5);
    // The x domain ends at 8, not at infinity: the last point is near the right edge.
    const area = plotArea(svg);
    const xs = seriesGeometry(svg)[0]!.circles.map((c) => c[0]);
    expect(Math.max(...xs)).toBeGreaterThan(area.x1 - (area.x1 - area.x0) * 0.1);
  });

  it('renders a valid document for empty input', () => {
    for (const spec of [
      base([]),
      base([], { xLog: true, yLog: true }),
      base([{ name: 'empty', points: [] }]),
      { title: '', xLabel: '', yLabel: '', series: [] },
    ]) {
      const { doc, svg } = render(spec);
      expect(doc.startsWith('<svg')).toBe(true);
      expect(doc).not.toMatch(/NaN|Infinity|undefined/);
      expect(seriesGeometry(svg)).toHaveLength(0);
      plotArea(svg);
    }
    const { svg } = render(base([{ name: 'empty', points: [] }]));
    expect(texts(one(svg, 'legend'))).toEqual(['empty']);
    expect(byClass(render(base([])).svg, 'legend')).toHaveLength(0);
  });

  it('handles a single point and a zero-width domain', () => {
    for (const log of [false, true]) {
      for (const points of [[{ x: 5, y: 3 }], [{ x: 5, y: 3 }, { x: 5, y: 3 }, { x: 5, y: 3 }], [{ x: 0, y: 0 }]]) {
        const { doc, svg } = render(base([{ name: 'one', points }], { xLog: log, yLog: log }));
        expect(doc).not.toMatch(/NaN|Infinity/);
        const area = plotArea(svg);
        const geometry = seriesGeometry(svg);
        const drawable = log ? points.filter((p) => p.x > 0) : points;
        expect(geometry.length).toBe(drawable.length > 0 ? 1 : 0);
        for (const g of geometry) {
          expect(g.circles).toHaveLength(drawable.length);
          for (const c of g.circles) {
            expect(inside(c, area)).toBe(true);
            // Centred: a zero-width domain is widened symmetrically around the value.
            expect(Math.abs(c[0] - (area.x0 + area.x1) / 2)).toBeLessThan((area.x1 - area.x0) * 0.15);
          }
        }
        expect(all(one(svg, 'x-ticks'), (e) => e.name === 'text').length).toBeGreaterThanOrEqual(2);
        expect(all(one(svg, 'y-ticks'), (e) => e.name === 'text').length).toBeGreaterThanOrEqual(2);
      }
    }
  });

  it('draws x and y markers with their labels, and includes them in the domain', () => {
    const { svg } = render(
      base([{ name: 'tput', points: [0, 1, 2, 3, 4, 5, 6].map((x) => ({ x, y: x === 3 ? 0 : 10 })) }], {
        xLabel: 'time (s)',
        xMarkers: [{ x: 2.5, label: 'leader killed' }],
        yMarkers: [{ y: 25, label: 'target 25' }],
      }),
    );
    const area = plotArea(svg);
    expect(texts(one(svg, 'markers'))).toEqual(['leader killed', 'target 25']);
    const lines = all(one(svg, 'marker-lines'), (e) => e.name === 'line');
    expect(lines).toHaveLength(2);
    const [vertical, horizontal] = lines;
    const circles = seriesGeometry(svg)[0]!.circles;
    const mx = n(vertical!.attrs.x1);
    expect(n(vertical!.attrs.x2)).toBe(mx);
    expect(mx).toBeCloseTo((circles[2]![0] + circles[3]![0]) / 2, 0);
    expect(n(vertical!.attrs.y1)).toBeCloseTo(area.y0, 5);
    expect(n(vertical!.attrs.y2)).toBeCloseTo(area.y1, 5);
    // y = 25 is above every data point (max 10) yet inside the plot.
    const my = n(horizontal!.attrs.y1);
    expect(my).toBeGreaterThanOrEqual(area.y0);
    expect(my).toBeLessThan(Math.min(...circles.map((c) => c[1])));
    expect(n(horizontal!.attrs.x1)).toBeCloseTo(area.x0, 5);
    expect(n(horizontal!.attrs.x2)).toBeCloseTo(area.x1, 5);
    // The labels are inside the plot area.
    for (const t of all(one(svg, 'markers'), (e) => e.name === 'text')) {
      expect(n(t.attrs.y)).toBeGreaterThan(area.y0);
      expect(n(t.attrs.y)).toBeLessThan(area.y1);
    }
  });

  it('gives series distinct colours, then cycles with dashes; dashed series are dashed', () => {
    const series: Series[] = Array.from({ length: 14 }, (_, i) => ({
      name: `cairn-${i} jute`,
      points: [{ x: 1, y: i }, { x: 2, y: i + 1 }],
      dashed: i === 3,
    }));
    const { svg } = render(base(series));
    const strokes = byClass(svg, 'series').map((g) => {
      const line = all(g, (e) => e.name === 'g' && e.attrs.fill === 'none')[0]!;
      return { colour: line.attrs.stroke!, dash: line.attrs['stroke-dasharray'] ?? '' };
    });
    expect(strokes).toHaveLength(14);
    expect(new Set(strokes.slice(0, 10).map((s) => s.colour)).size).toBe(10);
    expect(strokes[3]!.dash).not.toBe('');
    for (const i of [0, 1, 2, 4, 5, 6, 7, 8, 9]) expect(strokes[i]!.dash).toBe('');
    for (let i = 10; i < 14; i++) {
      expect(strokes[i]!.colour).toBe(strokes[i - 10]!.colour);
      expect(strokes[i]!.dash).not.toBe('');
    }
    // Same input, same output.
    expect(lineChart(base(series))).toBe(lineChart(base(series)));
  });

  it('keeps a 14-series legend clear of the plot area', () => {
    const series: Series[] = Array.from({ length: 14 }, (_, i) => ({
      name: `cairn-${(i % 5) + 1} ${['jute', 'grpc', 'rest'][i % 3]}`,
      points: [1, 2, 4, 8].map((x) => ({ x, y: x * (i + 1) })),
    }));
    const { svg } = render(base(series, { xLog: true }));
    const area = plotArea(svg);
    const items = byClass(svg, 'legend-item');
    expect(items).toHaveLength(14);
    for (const item of items) {
      const line = all(item, (e) => e.name === 'line')[0]!;
      const text = all(item, (e) => e.name === 'text')[0]!;
      const right = n(line.attrs.x1) >= area.x1 + 4;
      const below = n(text.attrs.y) - 12 >= area.y1;
      expect(right || below, 'legend item outside the plot').toBe(true);
      expect(n(text.attrs.y)).toBeLessThanOrEqual(420);
    }
    // The plot keeps most of the width.
    expect(area.x1 - area.x0).toBeGreaterThan(720 * 0.5);
  });

  it('moves a legend that would be too wide below the plot and grows the document', () => {
    const series: Series[] = Array.from({ length: 40 }, (_, i) => ({
      name: `a rather long series name number ${i}`,
      points: [{ x: 1, y: i }, { x: 2, y: i + 1 }],
    }));
    const { svg } = render(base(series));
    const area = plotArea(svg);
    const docHeight = n(svg.attrs.height);
    expect(docHeight).toBeGreaterThan(420);
    expect(svg.attrs.viewBox).toBe(`0 0 720 ${docHeight}`);
    const xLabel = one(svg, 'x-label');
    const rows = new Set<number>();
    for (const item of byClass(svg, 'legend-item')) {
      const line = all(item, (e) => e.name === 'line')[0]!;
      const y = n(line.attrs.y1);
      rows.add(y);
      expect(y).toBeGreaterThan(n(xLabel.attrs.y));
      expect(y).toBeGreaterThan(area.y1);
      expect(y).toBeLessThan(docHeight);
      expect(n(line.attrs.x1)).toBeGreaterThanOrEqual(0);
      expect(n(line.attrs.x1)).toBeLessThan(720);
    }
    expect(rows.size).toBeGreaterThan(1);
  });

  it('rounds coordinates to at most two decimals', () => {
    const { doc } = render(
      base([{ name: 'r', points: Array.from({ length: 30 }, (_, i) => ({ x: Math.PI * i, y: Math.E ** (i / 7) })) }], {
        yLog: true,
        xMarkers: [{ x: 1 / 3, label: 'third' }],
      }),
    );
    const numbers = [...doc.matchAll(/\s(?:x|y|x1|x2|y1|y2|cx|cy|width|height)="([^"]*)"/g)].map((m) => m[1]!);
    const points = [...doc.matchAll(/points="([^"]*)"/g)].flatMap((m) => m[1]!.split(/[\s,]+/));
    expect(numbers.length + points.length).toBeGreaterThan(100);
    for (const v of [...numbers, ...points]) expect(v).toMatch(/^-?\d+(\.\d{1,2})?$/);
  });
});
