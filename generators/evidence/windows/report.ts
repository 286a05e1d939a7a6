/**
 * The `classify` output for Windows captures, for the CLI to print: a Markdown table per host
 * (sub-category, events, telemetry, sources, rules), the captures read with their malformed
 * records located, and the clock offsets found; or one JSON object.
 */
import type { WindowsCaptureResult } from './classify.ts';
import { LAYOUT_NAMES, type TimeSource } from './event.ts';

const TIME_WORDS: Record<TimeSource, string> = {
  'utc-time': "Sysmon's UtcTime",
  'system-time': "the records' system time",
  forwarder: "the forwarder's timestamps",
  none: 'no time',
};

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function list(record: Record<string, number | undefined>): string {
  return Object.entries(record)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
}

/**
 * Renders a Windows classification as Markdown, one table per host.
 * @example io.stdout(renderWindowsClassify(await classifyWindowsCaptures(paths)))
 */
export function renderWindowsClassify(result: WindowsCaptureResult): string {
  const out: string[] = [];
  for (const c of result.captures) {
    out.push(
      `Capture ${c.file}: ${LAYOUT_NAMES[c.layout]}${c.gzip ? ', gzip' : ''}; ${c.events} events, ${c.malformed} malformed.`,
    );
    for (const m of c.malformedSamples)
      out.push(
        `  - ${m.line !== undefined ? `line ${m.line}` : `byte ${m.byteOffset}`}: ${m.reason}`,
      );
    if (c.forwarderTimed > 0)
      out.push(
        `  ${c.forwarderTimed} event(s) carry no time of their own: their time is the forwarder's.`,
      );
  }
  for (const h of result.classification.hosts) {
    out.push('', `## Windows host ${h.host} (${h.events} events, ${h.unclassified} unclassified)`);
    if (h.timeSpan !== undefined)
      out.push(
        `From ${h.timeSpan.first} to ${h.timeSpan.last} (UTC, by ${TIME_WORDS[h.timeSpan.source]}).`,
      );
    if (h.clockOffset !== undefined)
      out.push(
        `The records' own time is ${h.clockOffset.minutes} minutes off Sysmon's UtcTime (${h.clockOffset.events} Sysmon events): the times of this host's other events are likely off by as much.`,
      );
    if (h.subCategories.length === 0) {
      out.push('No event of this host is telemetry of a Windows sub-category the rules know.');
      continue;
    }
    out.push(
      '',
      '| sub-category | events | telemetry | sources | rules | absent facts |',
      '| --- | --- | --- | --- | --- | --- |',
    );
    for (const s of h.subCategories)
      out.push(
        `| ${cell(s.name)} (\`${s.subCategory}\`) | ${s.events} | ${s.telemetry} | ${list(s.sources)} | ${list(s.rules)} | ${list(s.absentRequired)} |`,
      );
  }
  return `${out.join('\n')}\n`;
}

/** The same as one JSON object (one line), for `--json`. */
export function windowsClassifyJson(result: WindowsCaptureResult): string {
  return `${JSON.stringify({ platform: 'windows', captures: result.captures, hosts: result.classification.hosts })}\n`;
}
