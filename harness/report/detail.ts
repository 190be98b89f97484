/** A failing test's detail as report text: its hex diff and its exchange with the implementation. */
import { formatDiff } from '../conform/assert.js';
import type { TestResult } from '../conform/runner.js';
import { formatTranscript } from '../conform/transcript.js';
import { escapeHtml as h } from './xml.js';

/** Plain text for the terminal (--verbose): the diff, then the transcript. */
export function detailText(t: TestResult): string {
  const parts: string[] = [];
  if (t.diff) parts.push(formatDiff(t.diff));
  if (t.transcript) parts.push(`exchange with the implementation (${t.transcript.entries.length} call(s)${t.transcript.omitted ? `, ${t.transcript.omitted} omitted` : ''}):\n${formatTranscript(t.transcript)}`);
  return parts.join('\n');
}

/** HTML blocks: the diff open, the transcript collapsed when long. */
export function detailHtml(t: TestResult): string {
  const parts: string[] = [];
  if (t.diff) parts.push(`<details open class="diff"><summary>hex diff</summary><pre>${h(formatDiff(t.diff))}</pre></details>`);
  if (t.transcript) {
    const n = t.transcript.entries.length;
    parts.push(`<details${n <= 20 ? ' open' : ''} class="transcript"><summary>exchange with the implementation (${n} call${n === 1 ? '' : 's'}${t.transcript.omitted ? `, ${t.transcript.omitted} omitted` : ''})</summary><pre>${h(formatTranscript(t.transcript))}</pre></details>`);
  }
  return parts.join('\n');
}
