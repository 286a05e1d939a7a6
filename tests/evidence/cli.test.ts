/**
 * `npm run evidence` as a user runs it: help, usage errors (exit 2), bad input with a clear
 * message (exit 1), classify, and a full run on a committed real capture writing the Markdown,
 * the JSON evidence and the patch.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { EvidenceFileSchema } from '../../generators/evidence/evidence-file.schema.ts';
import { parseManifest } from '../../generators/manifest.schema.ts';
import { parseData } from '../../scoring/issues.ts';
import { MeasuredRowSchema } from '../../scoring/schema.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'generators/evidence/cli.ts');
const FIX = join(ROOT, 'tests/fixtures/evidence');
const tmp = mkdtempSync(join(tmpdir(), 'etm-evidence-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function evidence(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('npm run evidence', () => {
  it('prints help with every flag and exits 0', () => {
    const r = evidence('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: npm run evidence -- --manifest <m.json> --events <capture>/);
    for (const flag of [
      '--manifest',
      '--events',
      '--vendor',
      '--product-version',
      '--format',
      '--out',
      '--patch',
      '--input-format',
      '--skew',
      '--json',
    ]) {
      expect(r.stdout).toContain(flag);
    }
  });

  it('prints help and exits 2 on unknown flags, commands or values', () => {
    expect(evidence('--colour').code).toBe(2);
    expect(evidence('judge').stderr).toMatch(/^Unknown command "judge"/);
    const bad = evidence('--manifest', 'm.json', '--events', 'e', '--format', 'html');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^--format must be one of md, json; received "html"\./);
    expect(evidence('--events', 'x.ndjson').stderr).toMatch(/^--manifest <m.json> is required/);
  });

  it('says what to do when the manifest is missing or invalid', () => {
    const missing = evidence('--manifest', join(tmp, 'nope.json'), '--events', 'x');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /nope\.json: the manifest cannot be read \(no such file\)\. Create one with npm run generate -- all --out/,
    );
    const bad = join(tmp, 'bad.json');
    writeFileSync(bad, '{"schemaVersion": 1}');
    const invalid = evidence('--manifest', bad, '--events', 'x');
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/bad\.json is not a valid generator manifest/);
    expect(invalid.stderr).not.toMatch(/^\s+at /m);
  });

  it('classify lists sub-categories with counts and example fields, and the malformed lines', () => {
    const r = evidence('classify', '--events', join(FIX, 'handmade/elastic-defend.ndjson'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('2 malformed lines (line 11, 13)');
    expect(r.stdout).toMatch(
      /Memory-Backed File Creation\s+1\s+event\.action=memfd_create .*process\.Ext\.memfd\.name=memfd:payload/,
    );
    // Home directories and host names never leave the host.
    expect(r.stdout).not.toContain('ruben_groenewoud');
    expect(r.stdout).not.toContain('ruben-lab-01');
    const json = JSON.parse(
      evidence('classify', '--json', '--events', join(FIX, 'handmade/siem-export.csv')).stdout,
    );
    expect(json.subCategories.map((s: { id: string }) => s.id)).toContain('dns-query');
    expect(json.captures[0].malformed).toBe(2);
  });

  it('classify reads a Windows capture with the Windows readers, and refuses a mix of platforms', () => {
    const xml = join(FIX, 'windows/schtask_create.wevtutil.xml');
    const r = evidence('classify', '--json', '--events', xml);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.platform).toBe('windows');
    expect(json.captures[0]).toMatchObject({ layout: 'wevtutil-xml', events: 50, malformed: 0 });
    const mixed = evidence(
      'classify',
      '--events',
      xml,
      '--events',
      join(FIX, 'handmade/elastic-defend.ndjson'),
    );
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain('Classify one platform');
  });

  it('classify --input-format takes a Windows layout and skips detection; judging refuses one', () => {
    const beat = join(FIX, 'windows/schtask_create.winlogbeat.ndjson');
    const lines = readFileSync(beat, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '').length;
    const named = evidence('classify', '--json', '--input-format', 'winlogbeat', '--events', beat);
    expect(named.code).toBe(0);
    expect(JSON.parse(named.stdout).captures[0]).toMatchObject({
      layout: 'winlogbeat',
      events: lines,
    });
    // The layout given is the reader used, even when detection would have chosen another.
    const forced = evidence(
      'classify',
      '--json',
      '--input-format',
      'wevtutil-xml',
      '--events',
      beat,
    );
    expect(JSON.parse(forced.stdout).captures[0]).toMatchObject({
      layout: 'wevtutil-xml',
      events: 0,
    });
    const judge = evidence(
      '--manifest',
      'm.json',
      '--events',
      beat,
      '--input-format',
      'winlogbeat',
    );
    expect(judge.code).toBe(2);
    expect(judge.stderr).toMatch(/^--input-format winlogbeat is a Windows layout/);
  });

  it('judges a real capture: Markdown to stdout, evidence JSON and a measured-row patch to files', () => {
    const dir = join(FIX, 'auditd-laurel');
    const out = join(tmp, 'evidence.json');
    const patch = join(tmp, 'acme.json');
    const args = [
      '--manifest',
      join(dir, 'manifest.json'),
      '--manifest',
      join(dir, 'sensor.json'),
      '--events',
      join(dir, 'capture.jsonl.gz'),
    ];
    const md = evidence(...args, '--vendor', 'Acme EDR', '--product-version', '1.2');
    expect(md.code).toBe(0);
    expect(md.stdout).toMatch(/^### Telemetry evidence: Acme EDR 1\.2 \(Linux\)/);
    expect(md.stdout).toContain('| Memory-Backed File Creation | ⚠️ Partially | partially |');
    const json = evidence(
      ...args,
      '--vendor',
      'Acme EDR',
      '--format',
      'json',
      '--out',
      out,
      '--patch',
      patch,
    );
    expect(json.code).toBe(0);
    expect(json.stderr).toContain(`Wrote ${patch}: save it as data/measured/acme-edr.json`);
    expect(EvidenceFileSchema.safeParse(JSON.parse(readFileSync(out, 'utf8'))).success).toBe(true);
    expect(parseData(MeasuredRowSchema, JSON.parse(readFileSync(patch, 'utf8')), patch).ok).toBe(
      true,
    );
  });

  it('proposes via-enabling-telemetry, naming the setting, for cells a setting enabled', () => {
    const dir = join(FIX, 'reference-agent');
    const out = join(tmp, 'settings.json');
    const setting = 'audit: kernel auditing on';
    const r = evidence(
      '--manifest',
      join(dir, 'manifest.json'),
      '--events',
      join(dir, 'capture.ndjson.gz'),
      '--setting',
      `user-logon,logon-failed=${setting}`,
      '--format',
      'json',
      '--out',
      out,
    );
    expect(r.code).toBe(0);
    const file = EvidenceFileSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
    for (const id of ['user-logon', 'logon-failed']) {
      expect(file.cells[id]?.status).toBe('via-enabling-telemetry');
      expect(file.cells[id]?.setting).toBe(setting);
    }
    expect(file.cells['user-logoff']?.status).toBe('yes');
    const bad = evidence(
      '--manifest',
      join(dir, 'manifest.json'),
      '--events',
      join(dir, 'capture.ndjson.gz'),
      '--setting',
      'user-logn=x',
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown ids: user-logn');
  });

  it("compares an ssdeep with the manifest's: equal is observed, different is reported as wrong", () => {
    const dir = join(FIX, 'reference-agent');
    const manifestPath = join(dir, 'manifest.json');
    const manifest = parseManifest(readFileSync(manifestPath, 'utf8'), manifestPath);
    const written = new Map<string, string>();
    for (const run of manifest.runs)
      for (const a of run.actions)
        if (run.generator === 'file_metadata' && a.operation === 'create' && a.args.file)
          written.set(basename(a.args.file.path), a.args.file.ssdeep);
    const lines = gunzipSync(readFileSync(join(dir, 'capture.ndjson.gz')))
      .toString('utf8')
      .split('\n')
      .filter(Boolean);
    // The agent's own ssdeep values, as captured; then one file's replaced, then all removed.
    const edited = (edit: (name: string, hash: Record<string, string>) => void) =>
      lines
        .map((l) => {
          const e = JSON.parse(l) as { file?: { path?: string; hash?: Record<string, string> } };
          if (!e.file?.hash?.ssdeep) return l;
          edit(basename(e.file.path ?? ''), e.file.hash);
          return JSON.stringify(e);
        })
        .join('\n');
    const judge = (capture: string) => {
      const events = join(tmp, 'ssdeep.ndjson');
      const out = join(tmp, 'ssdeep.json');
      writeFileSync(events, capture);
      const r = evidence(
        '--manifest',
        manifestPath,
        '--events',
        events,
        '--format',
        'json',
        '--out',
        out,
      );
      expect(r.code, r.stderr).toBe(0);
      return EvidenceFileSchema.parse(JSON.parse(readFileSync(out, 'utf8'))).cells['fuzzy-hash'];
    };
    const right = judge(lines.join('\n'));
    expect(right).toMatchObject({ verdict: 'observed', status: 'yes', wrong: {} });
    expect(right?.actions.observed).toBeGreaterThanOrEqual(2);
    const wrong = judge(
      edited((name, hash) => {
        if (name === 'random.bin') hash.ssdeep = written.get('ascii.txt') ?? '';
      }),
    );
    expect(wrong?.status).toBe('partially');
    expect(wrong?.wrong).toEqual({ ssdeep: expect.any(Number) });
    const none = judge(
      edited((_, hash) => {
        delete hash.ssdeep;
      }),
    );
    expect(none?.status).toBe('no');
  });

  it('explains a capture with nothing in the manifest window and exits 1', () => {
    const dir = join(FIX, 'auditd-laurel');
    const r = evidence(
      '--manifest',
      join(dir, 'manifest.json'),
      '--events',
      join(FIX, 'handmade/elastic-defend.ndjson'),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/No event falls inside the manifest's time window .* before it\./);
    expect(r.stderr).toContain("Likely causes: the sensor's clock and this host's differ");
    expect(r.stderr).toMatch(
      /The events name host\(s\) "ruben-lab-01", but the manifest was written on "<host>"/,
    );
  });
});
