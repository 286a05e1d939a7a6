/**
 * An evidence package's pull-request body (`PULL_REQUEST.md`): the evidence table, then every
 * field the incumbent's methodology asks of an evidence package (OS build, sensor version,
 * policy, UTC time window, raw events...), where each No looked, and the licence line.
 */
import type { AssertionsFile } from '../../scoring/provenance.schema.ts';
import type { StatusId } from '../../scoring/schema.ts';
import type { StatusCatalog } from '../../scoring/statuses.ts';
import type { PackageRecord } from './package.schema.ts';
import type { RuleSets } from './rule-engine.ts';

const DATA_LICENCE =
  'This evidence is contributed under the licence of the matrix data, [CC BY-NC 4.0](https://creativecommons.org/licenses/by-nc/4.0/).';

/** Markdown table cell: no line breaks, pipes escaped. */
function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

function orDash(value: string | undefined): string {
  return value === undefined || value === '' ? 'not stated' : value;
}

/** The pull-request body of one package. */
export function renderPullRequest(
  record: PackageRecord,
  assertions: AssertionsFile,
  context: {
    statuses: StatusCatalog;
    names: ReadonlyMap<string, string>;
    rules: RuleSets | undefined;
  },
): string {
  const { inputs, derived } = record;
  const label = (id: StatusId) => {
    const s = context.statuses.byId.get(id);
    return s === undefined ? id : `${s.symbol} ${s.label}`;
  };
  const folder = `data/evidence/${inputs.id}/`;
  const sample = inputs.kind === 'sample-events';
  const lines: string[] = [];
  lines.push(
    `# Evidence: ${inputs.vendor.name} on ${inputs.platform === 'linux' ? 'Linux' : 'Windows'}`,
    '',
    sample
      ? 'Sample events without a generator run: they show which fields the product records. There is no manifest and no test window, so no cell becomes a strict Yes from them alone.'
      : 'A generator run matched against the capture with strict verdicts: a cell is Yes only when every action that exercised it was recorded with every required fact right.',
    '',
  );
  if (inputs.source?.pr !== undefined) lines.push(`First published in ${inputs.source.pr}.`, '');
  if (inputs.source?.note !== undefined) lines.push(inputs.source.note, '');

  lines.push('## Evidence table', '');
  lines.push(
    '| Sub-category | Status | Verdict | Version | Setting | Events | Fields | Notes |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const [sub, c] of Object.entries(derived.cells)) {
    const shown = derived.shown?.find((s) => s.subCategory === sub);
    const ev = derived.evidence?.cells[sub];
    const events = shown
      ? String(shown.events)
      : ev === undefined
        ? '-'
        : `${ev.actions.observed}/${ev.actions.total} actions`;
    const fields = shown?.fields ?? ev?.proof ?? [];
    lines.push(
      `| ${cell(context.names.get(sub) ?? sub)} | ${label(c.status)} | ${c.verdict} | ${cell(orDash(c.version))} | ${cell(c.setting ?? 'default')} | ${events} | ${cell(fields.map((f) => `\`${f}\``).join(', ') || '-')} | ${cell(c.reason)} |`,
    );
  }
  lines.push('');

  lines.push('## Evidence package', '');
  const sensor = derived.sensor;
  const items: [string, string][] = [
    ['Product', `${inputs.vendor.name} (\`${inputs.vendor.id}\`)`],
    [
      'Product version',
      `${orDash(inputs.product.version)}${
        Object.keys(inputs.cellVersions).length > 0
          ? `; per cell: ${Object.entries(inputs.cellVersions)
              .map(([s, v]) => `${context.names.get(s) ?? s} ${v}`)
              .join(', ')}`
          : ''
      }`,
    ],
    ['Build', orDash(inputs.product.build)],
    [
      'Sensor identity (agent.type, agent.version)',
      sensor.identity === 'absent'
        ? 'the capture carries no agent.type'
        : `${sensor.type ?? '?'} ${sensor.version ?? ''} (${sensor.identity === 'known' ? 'a known sensor' : 'a type the project does not know'})`.trim(),
    ],
    [
      'OS build, kernel, architecture',
      [derived.host.os, derived.host.kernel, derived.host.arch].filter(Boolean).join(', ') ||
        'not known from the capture',
    ],
    [
      'Policy',
      inputs.policy === undefined
        ? 'not stated'
        : `${inputs.policy.name}${inputs.policy.sha256 === undefined ? '' : ` (SHA-256 \`${inputs.policy.sha256}\`)`}`,
    ],
    [
      'Settings',
      inputs.settings.length === 0
        ? 'defaults'
        : inputs.settings
            .map(
              (s) =>
                `\`${s.setting}\` for ${s.subCategories.map((x) => context.names.get(x) ?? x).join(', ')}`,
            )
            .join('; '),
    ],
    [
      'UTC time window',
      derived.window === undefined
        ? 'none: sample events are not a timed test'
        : `${derived.window.start} to ${derived.window.end}`,
    ],
    [
      'Hosts',
      derived.hosts.length === 0
        ? 'not named in the capture'
        : derived.hosts
            .map(
              (h) =>
                `${h.host} (${h.events} events${h.first === undefined ? '' : `, ${h.first} to ${h.last}`})`,
            )
            .join('; '),
    ],
    [
      'Tester',
      `${inputs.tester.handle}${inputs.tester.affiliation === undefined ? ' (affiliation not stated)' : ` (${inputs.tester.affiliation})`}`,
    ],
    [
      'Raw events',
      derived.captures
        .map(
          (c) =>
            `\`${folder}${c.file}\` (${c.events} events${c.malformed > 0 ? `, ${c.malformed} malformed` : ''}; SHA-256 of the uncompressed capture \`${c.sha256}\`)`,
        )
        .join('; '),
    ],
    [
      'Manifests',
      derived.manifests.length === 0
        ? 'none (no generator run)'
        : derived.manifests
            .map((m) => `\`${folder}${m.file}\` (SHA-256 \`${m.sha256}\`)`)
            .join('; '),
    ],
    [
      'Sanitised',
      Object.keys(record.sanitising).length === 0
        ? 'nothing needed replacing'
        : `${Object.entries(record.sanitising)
            .map(([k, v]) => `${v?.values} ${k} value(s) (${v?.occurrences} occurrences)`)
            .join(', ')}, each by a stable stand-in`,
    ],
    ['Record and assertions', `\`${folder}record.json\`, \`${folder}assertions.json\``],
  ];
  for (const [k, v] of items) lines.push(`- **${k}**: ${v}`);
  lines.push('');

  const noes = Object.entries(derived.cells).filter(([, c]) => c.verdict === 'not-observed');
  if (noes.length > 0) {
    lines.push('## Where each No looked', '');
    for (const [sub] of noes) {
      const rules = Object.values(context.rules ?? {})
        .flat()
        .filter((r) => r.subCategory === sub)
        .map((r) => `\`${r.id}\``);
      lines.push(
        `- **${context.names.get(sub) ?? sub}**: ${derived.window === undefined ? 'no window' : `${derived.window.start} to ${derived.window.end} (UTC)`}; searched ${derived.captures.map((c) => `\`${c.file}\` (${c.events} events)`).join(', ')} with ${rules.length === 0 ? 'no rule of the capture format (it cannot carry this sub-category)' : `the rules ${rules.join(', ')}`}.`,
      );
    }
    lines.push('');
  }

  lines.push('## Licence', '', DATA_LICENCE);
  if (inputs.notices.length > 0)
    lines.push(
      '',
      `The captures keep their own licence notice: ${inputs.notices.map((n) => `\`${folder}${n}\``).join(', ')}.`,
    );
  lines.push('', `Assertions: ${Object.keys(assertions.cells).length} cell(s).`, '');
  return lines.join('\n');
}
