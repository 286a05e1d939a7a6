/**
 * Renders evidence for people: the Markdown table contributors paste into a pull request (in the
 * shape EDR-Telemetry PRs use: sub-category, status, the fields that prove it, sanitised sample
 * events), and the `classify` summary.
 */
import { basename } from 'node:path';
import type { StatusCatalog } from '../../scoring/statuses.ts';
import { showBytes } from './auditd-raw/decode.ts';
import type { EvidenceRun } from './evidence.ts';
import type { EvidenceFile } from './evidence-file.schema.ts';
import type { CaptureStats, ClassCount } from './matcher.ts';
import { FORMAT_NAMES } from './readers/capture.ts';
import { type Secrets, sanitizeEvent } from './sanitize.ts';

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (text: string) => `\`${text.replace(/`/g, "'")}\``;

function statusText(statuses: StatusCatalog, id: Parameters<StatusCatalog['byId']['get']>[0]) {
  const s = statuses.byId.get(id);
  return s === undefined ? id : `${s.symbol} ${s.label}`;
}

/** "line 3, 17, 204 (+12 more)" */
function malformedLines(c: CaptureStats): string {
  if (c.malformed === 0) return 'no malformed lines';
  const shown = c.malformedSamples.map((m) => m.line).join(', ');
  const more = c.malformed - c.malformedSamples.length;
  return `${c.malformed} malformed line${c.malformed === 1 ? '' : 's'} (line ${shown}${more > 0 ? `, +${more} more` : ''})`;
}

function captureLine(c: CaptureStats): string {
  const format =
    c.layout === 'audit.log'
      ? "auditd's own audit.log, read as LAUREL JSONL"
      : c.format === undefined
        ? 'unknown format'
        : FORMAT_NAMES[c.format];
  return `${code(basename(c.source))} (${format}${c.gzip ? ', gzip' : ''}, ${c.events} events, ${malformedLines(c)})`;
}

/**
 * The pull-request Markdown for one evidence run.
 * @example renderMarkdown(run) // "### Telemetry evidence: Acme EDR 1.2 (Linux)\n..."
 */
export function renderMarkdown(run: EvidenceRun): string {
  const f: EvidenceFile = run.file;
  const out: string[] = [];
  const version = f.vendor.productVersion === undefined ? '' : ` ${f.vendor.productVersion}`;
  out.push(`### Telemetry evidence: ${f.vendor.name}${version} (Linux)`);
  out.push('');
  const gens = [...new Set(f.manifests.flatMap((m) => m.generators))];
  out.push(
    `Generators (${gens.length}): ${gens.map(code).join(', ')} on ${f.host.distro}, kernel ${f.host.kernelRelease} (${f.host.arch}), captured ${f.capturedAt}.`,
  );
  for (const m of f.manifests) out.push(`Manifest SHA-256: ${code(m.sha256)}.`);
  out.push(`Captures: ${run.match.captures.map(captureLine).join('; ')}.`);
  out.push(
    `Produced by \`npm run evidence\` (${Object.entries(f.tools)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}).`,
  );
  if (run.match.diagnosis.length > 0) {
    out.push('');
    for (const d of run.match.diagnosis) out.push(`> **Warning:** ${d}`);
  }
  out.push('');
  out.push(
    '| Sub-Category | Proposed status | Verdict | Actions recorded | Event fields that prove it | Notes |',
  );
  out.push('| --- | --- | --- | --- | --- | --- |');
  for (const row of run.rows) {
    const c = f.cells[row.subCategory];
    if (c === undefined) continue;
    const a = c.actions;
    const recorded =
      a.total === 0
        ? '-'
        : `${a.observed}/${a.total}${a.partial > 0 ? ` (+${a.partial} partly)` : ''}`;
    const proof = c.proof.length === 0 ? '-' : c.proof.map(code).join(', ');
    out.push(
      `| ${cell(row.name)} | ${cell(statusText(run.statuses, c.status))} | ${c.verdict} | ${recorded} | ${cell(proof)} | ${cell(c.setting === undefined ? c.reason : `Needs ${c.setting}. ${c.reason}`)} |`,
    );
  }
  const withSamples = run.rows.filter((r) => (f.cells[r.subCategory]?.samples.length ?? 0) > 0);
  if (withSamples.length > 0) {
    out.push('');
    out.push('#### Sanitised sample events');
    for (const row of withSamples) {
      const c = f.cells[row.subCategory];
      const s = c?.samples[0];
      if (c === undefined || s === undefined) continue;
      out.push('');
      out.push(
        `<details><summary>${row.name}: ${s.capture} line ${s.line} (rule ${s.rule})</summary>`,
      );
      out.push('');
      out.push('```json');
      out.push(JSON.stringify(s.event, null, 2));
      out.push('```');
      out.push('</details>');
    }
  }
  // A name that is not UTF-8 (a lone surrogate in a reason) is shown as \xff, never lost.
  return `${showBytes(out.join('\n'))}\n`;
}

export interface ClassifyReport {
  captures: CaptureStats[];
  classes: ClassCount[];
  names: ReadonlyMap<string, string>;
}

/** `evidence classify`: which sub-categories the capture shows telemetry for. */
export function renderClassify(report: ClassifyReport, secrets: Secrets): string {
  const out: string[] = [];
  for (const c of report.captures) {
    out.push(`Capture ${captureLine(c)}`);
    for (const m of c.malformedSamples) out.push(`  line ${m.line}: ${m.reason}`);
  }
  out.push('');
  if (report.classes.length === 0) {
    out.push(
      'No event matched any rule: the capture shows telemetry for no Linux sub-category. Check the format (--input-format) and that the export holds the event fields the rules expect (generators/evidence/rules/).',
    );
    return `${out.join('\n')}\n`;
  }
  const width = Math.max(
    ...report.classes.map((c) => (report.names.get(c.subCategory) ?? c.subCategory).length),
  );
  out.push(`${'SUB-CATEGORY'.padEnd(width)}  ${'EVENTS'.padStart(8)}  EXAMPLE FIELDS`);
  for (const c of report.classes) {
    const name = report.names.get(c.subCategory) ?? c.subCategory;
    const example =
      c.example === undefined
        ? ''
        : Object.entries(sanitizeEvent(c.example.doc, c.example.fields, secrets))
            .filter(([k]) => k !== '@timestamp' && k !== 'ID')
            .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
            .join(' ');
    out.push(
      `${name.padEnd(width)}  ${String(c.events).padStart(8)}  ${example.length > 160 ? `${example.slice(0, 157)}...` : example}`,
    );
  }
  return `${out.join('\n')}\n`;
}
