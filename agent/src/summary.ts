/** The end-of-run summary the agent prints on stderr: events by action, losses, CPU time. */
import type { StatsRec } from './families/loader/decode.ts';
import type { FrameStats } from './frames.ts';
import { REC } from './records.ts';

export interface SummaryInput {
  counts: ReadonlyMap<string, number>;
  stats: StatsRec | undefined;
  frames: FrameStats;
  excluded: number;
  wallMs: number;
  enricherCpu: NodeJS.CpuUsage;
}

const TYPE_NAMES = new Map<number, string>(
  Object.entries(REC).map(([k, v]) => [v, k.toLowerCase()]),
);

export function formatSummary(s: SummaryInput): string {
  const lines: string[] = ['', 'agent summary'];
  const total = [...s.counts.values()].reduce((a, b) => a + b, 0);
  const actions = [...s.counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const width = Math.max(6, ...actions.map(([a]) => a.length));
  lines.push(`  ${'action'.padEnd(width)}  events`);
  for (const [action, n] of actions) lines.push(`  ${action.padEnd(width)}  ${n}`);
  lines.push(`  ${'total'.padEnd(width)}  ${total}`);
  const drops = s.stats?.drops ?? [];
  const dropped = drops.reduce((a, d) => a + d.count, 0);
  lines.push(
    `  dropped in the kernel: ${dropped}${s.stats ? '' : ' (no stats record received: unknown)'}`,
  );
  for (const d of drops) {
    lines.push(`    ${TYPE_NAMES.get(d.type) ?? `type ${d.type}`} ${d.reason}: ${d.count}`);
  }
  const unknown = [...s.frames.unknownTypes.entries()]
    .map(([t, n]) => `type ${t} x${n}`)
    .join(', ');
  lines.push(
    `  records: ${s.frames.records} decoded, ${s.frames.malformed} malformed, unknown types: ${unknown || 'none'}, ${s.excluded} excluded by rules`,
  );
  const loaderCpuMs = s.stats ? (s.stats.cpuUserUs + s.stats.cpuSysUs) / 1000 : Number.NaN;
  const enricherCpuMs = (s.enricherCpu.user + s.enricherCpu.system) / 1000;
  lines.push(
    `  cpu: loader ${Number.isNaN(loaderCpuMs) ? 'unknown' : `${loaderCpuMs.toFixed(0)} ms`}, enricher ${enricherCpuMs.toFixed(0)} ms, wall ${(s.wallMs / 1000).toFixed(1)} s`,
  );
  return `${lines.join('\n')}\n`;
}
