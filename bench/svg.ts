/**
 * `agentsec bench --svg FILE`: each group's ratios to its fastest case as a horizontal bar chart,
 * one panel per group, in the order of the tables. Bars are linear in the ratio (1 = the group's
 * best); each is labelled with the ratio and the median ops/s, so short bars stay readable.
 * The reference's providers are drawn in one colour, the peers in another; failed cases are listed
 * without a bar.
 */
import { formatOps, formatRatio } from './report.js';
import type { BenchReport, GroupResult } from './run.js';

const WIDTH = 1000;
const LABEL_W = 470;
const BAR_W = 360;
const ROW_H = 20;
const TITLE_H = 26;
const GAP = 14;
const COLOURS = { provider: '#2b6cb0', peer: '#a0aec0' } as const;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function panel(g: GroupResult, top: number): { svg: string[]; height: number } {
  const out = [`<text x="8" y="${top + 17}" class="title">${esc(`${g.id}: ${g.title}`)}</text>`];
  g.cases.forEach((c, i) => {
    const y = top + TITLE_H + i * ROW_H;
    out.push(`<text x="${LABEL_W - 8}" y="${y + 14}" class="name" text-anchor="end">${esc(c.name)}</text>`);
    if (c.ratioToBest === undefined || c.opsPerSecMedian === undefined) {
      out.push(`<text x="${LABEL_W}" y="${y + 14}" class="failed">FAILED</text>`);
      return;
    }
    const w = Math.max(1, Math.round(c.ratioToBest * BAR_W));
    out.push(`<rect x="${LABEL_W}" y="${y + 3}" width="${w}" height="${ROW_H - 6}" fill="${COLOURS[c.kind]}" data-case="${esc(c.id)}" data-ratio="${c.ratioToBest.toFixed(4)}"/>`);
    out.push(`<text x="${LABEL_W + w + 6}" y="${y + 14}" class="value">${esc(`${formatRatio(c.ratioToBest, c.name === g.best)}  ${formatOps(c.opsPerSecMedian)} ops/s`)}</text>`);
  });
  return { svg: out, height: TITLE_H + g.cases.length * ROW_H + GAP };
}

export function formatSvg(r: BenchReport): string {
  const e = r.environment;
  const head = `Node ${e.node}, OpenSSL ${e.openssl}; ${r.options.clock} clock; load average ${e.loadAverage1m.toFixed(2)} -> ${(e.loadAverage1mAtEnd ?? 0).toFixed(2)}; ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC`;
  const body: string[] = [];
  let y = 48;
  for (const g of r.groups) {
    const p = panel(g, y);
    body.push(...p.svg);
    y += p.height;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y}" viewBox="0 0 ${WIDTH} ${y}" font-family="sans-serif">`,
    '<style>.title{font-size:13px;font-weight:bold}.name{font-size:11px}.value{font-size:11px;fill:#333}.failed{font-size:11px;fill:#c53030}.head{font-size:12px;fill:#555}</style>',
    `<rect width="${WIDTH}" height="${y}" fill="#fff"/>`,
    `<text x="8" y="18" class="title">agentsec bench: ratio to the fastest case of each group (1.00 = best)</text>`,
    `<text x="8" y="36" class="head">${esc(head)}; <tspan fill="${COLOURS.provider}">■ reference</tspan> <tspan fill="${COLOURS.peer}">■ peer</tspan></text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
