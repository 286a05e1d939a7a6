/**
 * Evidence packages: a contributor's capture becomes a sanitised folder under data/evidence/ that
 * `npm run evidence:verify` derives again from what is committed. Built from the real captures in
 * tests/fixtures/evidence/ (the reference agent's generator run, an OTRF Windows sample); the
 * Windows counts are computed independently with python3.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityError, identify } from '../../generators/evidence/identity.ts';
import { FIXTURES_DIR } from '../../generators/evidence/measured.ts';
import { PackageRecordSchema } from '../../generators/evidence/package.schema.ts';
import { createPackage } from '../../generators/evidence/package.ts';
import { verifyPackage } from '../../generators/evidence/verify.ts';
import { AssertionsFileSchema } from '../../scoring/provenance.schema.ts';

const DATA = resolve(import.meta.dirname, '../../data');
const AGENT = join(FIXTURES_DIR, 'reference-agent');
const WINDOWS = join(FIXTURES_DIR, 'windows');
let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'etm-package-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function pythonCount(file: string, script: string): Record<string, number> | undefined {
  const run = spawnSync('python3', ['-c', script, file], { encoding: 'utf8' });
  if (run.status !== 0) {
    process.stderr.write(
      `[skip] python3 reference counts: ${run.stderr || 'python3 is missing'}\n`,
    );
    return undefined;
  }
  return JSON.parse(run.stdout) as Record<string, number>;
}

describe('a generator-run package of the reference agent capture', () => {
  let dir: string;
  beforeAll(async () => {
    const made = await createPackage({
      captures: [join(AGENT, 'capture.ndjson.gz')],
      manifests: [join(AGENT, 'manifest.json'), join(AGENT, 'sensor.json')],
      vendor: 'reference-agent',
      productVersion: '0.1.0',
      settings: [
        { setting: 'npm run agent -- --families default,image', subCategories: ['image-load'] },
      ],
      tester: { handle: 'etm-ci', affiliation: 'ci' },
      id: 'reference-agent-linux-test',
      root,
      now: () => new Date('2026-12-02T15:00:00Z'),
    });
    dir = made.dir;
  }, 60_000);

  it('writes the folder: gzipped capture, manifests, record, assertions and pull-request body', () => {
    const record = PackageRecordSchema.parse(
      JSON.parse(readFileSync(join(dir, 'record.json'), 'utf8')),
    );
    expect(record.inputs.kind).toBe('generator-run');
    expect(record.inputs.captures).toEqual([{ file: 'capture.ndjson.gz', format: 'ecs' }]);
    expect(record.inputs.manifests).toEqual(['manifest-1.json', 'manifest-2.json']);
    expect(record.derived.sensor).toEqual({ type: 'etm-reference-agent', identity: 'known' });
    const assertions = AssertionsFileSchema.parse(
      JSON.parse(readFileSync(join(dir, 'assertions.json'), 'utf8')),
    );
    const memfd = assertions.cells['memory-backed-file-creation'];
    expect(memfd).toMatchObject({
      basis: 'evidence',
      kind: 'generator-run',
      verdict: 'observed',
      status: 'yes',
      tester: { handle: 'etm-ci', affiliation: 'ci' },
      host: { os: 'Debian GNU/Linux 12 (bookworm)', arch: 'x86_64' },
    });
    expect((memfd?.window?.start ?? '') < (memfd?.window?.end ?? '')).toBe(true);
    // A cell no action could exercise is not one the capture speaks to.
    expect(assertions.cells['driver-load']).toBeUndefined();
    const body = readFileSync(join(dir, 'PULL_REQUEST.md'), 'utf8');
    expect(body).toContain('CC BY-NC 4.0');
    expect(body).toContain('**UTC time window**');
    const sha = createHashOf(gunzipSync(readFileSync(join(dir, 'capture.ndjson.gz'))));
    expect(memfd?.evidence.captureSha256).toBe(sha);
  });

  it('gives the same verdicts as the committed measured row: sanitising moved none', () => {
    const assertions = JSON.parse(readFileSync(join(dir, 'assertions.json'), 'utf8'));
    const measured = JSON.parse(
      readFileSync(join(DATA, 'measured', 'reference-agent.json'), 'utf8'),
    );
    for (const [sub, cell] of Object.entries(measured.cells) as [string, { status: string }][]) {
      if (cell.status === 'not-tested') continue;
      expect(assertions.cells[sub]?.status, sub).toBe(cell.status);
    }
  });

  it('round-trips through evidence:verify', async () => {
    expect((await verifyPackage(dir)).differences).toEqual([]);
  }, 60_000);

  it('fails verify when one line of the committed capture is edited, naming the file and the path', async () => {
    const copy = join(root, 'edited');
    cpSync(dir, copy, { recursive: true });
    const lines = gunzipSync(readFileSync(join(copy, 'capture.ndjson.gz')))
      .toString('utf8')
      .split('\n');
    const i = lines.findIndex((l) => l.includes('"memfd_create"'));
    lines[i] = (lines[i] as string).replace(
      /"pid":(\d+)/,
      (_m, pid: string) => `"pid":${Number(pid) + 1}`,
    );
    writeFileSync(join(copy, 'capture.ndjson.gz'), gzipSync(lines.join('\n')));
    const { differences } = await verifyPackage(copy);
    expect(differences.map((d) => `${d.file.replace(/.*\//, '')} → ${d.path}`)).toEqual(
      expect.arrayContaining([
        'record.json → derived.captures[0].sha256',
        'record.json → derived.evidence.cells.memory-backed-file-creation.verdict',
        'assertions.json → cells.process-creation.evidence.captureSha256',
      ]),
    );
  }, 60_000);

  it('fails verify when a committed capture holds a value that needs sanitising', async () => {
    const copy = join(root, 'leaky');
    cpSync(dir, copy, { recursive: true });
    const lines = gunzipSync(readFileSync(join(copy, 'capture.ndjson.gz')))
      .toString('utf8')
      .split('\n');
    lines[0] = (lines[0] as string).replace('"<host-1>"', '"build-box.corp.example.org"');
    lines[1] = (lines[1] as string).replace('"x86_64"', '"x86_64","ip":"10.1.2.3"');
    writeFileSync(join(copy, 'capture.ndjson.gz'), gzipSync(lines.join('\n')));
    const { differences } = await verifyPackage(copy);
    expect(
      differences.filter((d) => d.derived.includes('sanitising it again')).map((d) => d.path),
    ).toEqual(expect.arrayContaining(['line 2']));
  }, 60_000);

  it('refuses a capture whose sensor is another product, saying which', async () => {
    await expect(
      createPackage({
        captures: [join(AGENT, 'capture.ndjson.gz')],
        manifests: [join(AGENT, 'manifest.json')],
        vendor: 'CrowdStrike',
        tester: { handle: 'someone' },
        root,
      }),
    ).rejects.toThrow(
      /agent\.type "etm-reference-agent" \(EDR Telemetry Matrix reference agent, evidence for "reference-agent"\), not for --vendor "crowdstrike"/,
    );
  });
});

/** The SHA-256 as python's hashlib computes it, not the evidence tool. */
function createHashOf(bytes: Buffer): string {
  const run = spawnSync(
    'python3',
    ['-c', 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())'],
    { input: bytes, encoding: 'utf8' },
  );
  return run.stdout.trim();
}

describe('sensor identity', () => {
  it("maps Elastic Defend's endpoint type to Elastic and refuses it for another vendor", () => {
    expect(identify([{ type: 'endpoint', version: '9.3.0', events: 3 }], 'elastic', 'c')).toEqual({
      type: 'endpoint',
      version: '9.3.0',
      identity: 'known',
    });
    expect(() => identify([{ type: 'endpoint', events: 3 }], 'sentinelone', 'c')).toThrow(
      IdentityError,
    );
  });

  it('records an unknown type as unknown, and a forwarder never contradicts', () => {
    expect(identify([{ type: 'acme-sensor', events: 1 }], 'acme', 'c')).toEqual({
      type: 'acme-sensor',
      identity: 'unknown',
    });
    expect(identify([{ type: 'winlogbeat', version: '8.15.0', events: 9 }], 'sysmon', 'c')).toEqual(
      {
        type: 'winlogbeat',
        version: '8.15.0',
        identity: 'known',
      },
    );
    expect(identify([], 'sysmon', 'c')).toEqual({ identity: 'absent' });
  });
});

describe('a Windows sample-events package (OTRF schtask_create, Sysmon)', () => {
  let dir: string;
  beforeAll(async () => {
    const made = await createPackage({
      captures: [join(WINDOWS, 'schtask_create.ndjson.gz')],
      manifests: [],
      notices: [join(WINDOWS, 'LICENSE.OTRF')],
      vendor: 'Sysmon',
      tester: { handle: 'otrf' },
      id: 'sysmon-windows-test',
      root,
      now: () => new Date('2026-12-02T15:00:00Z'),
    });
    dir = made.dir;
  }, 60_000);

  it("asserts what Sysmon's own events show, per sub-category, with python's counts", () => {
    const assertions = AssertionsFileSchema.parse(
      JSON.parse(readFileSync(join(dir, 'assertions.json'), 'utf8')),
    );
    const counts = pythonCount(
      join(WINDOWS, 'schtask_create.ndjson.gz'),
      'import gzip,json,sys,collections\nc=collections.Counter()\nfor l in gzip.open(sys.argv[1],"rt"):\n  l=l.strip()\n  if l:\n    d=json.loads(l)\n    if d.get("SourceName")=="Microsoft-Windows-Sysmon": c[str(d["EventID"])]+=1\nprint(json.dumps(c))',
    );
    const record = PackageRecordSchema.parse(
      JSON.parse(readFileSync(join(dir, 'record.json'), 'utf8')),
    );
    const events = (sub: string) =>
      record.derived.shown?.find((s) => s.subCategory === sub)?.events;
    if (counts !== undefined) {
      expect(events('process-creation')).toBe(counts['1']);
      expect(events('process-termination')).toBe(counts['5']);
      expect(events('process-access')).toBe(counts['10']);
      expect(events('image-library-loaded')).toBe(counts['7']);
    }
    for (const a of Object.values(assertions.cells)) {
      expect(a).toMatchObject({ kind: 'sample-events', verdict: 'fields-shown' });
      expect(a.window).toBeUndefined();
      expect(a.reason).toContain('No manifest and no time window');
    }
    // Security 4698 (a scheduled task) is Windows' own log, not Sysmon's.
    expect(assertions.cells['scheduled-task-creation']).toBeUndefined();
    expect(record.derived.hosts.map((h) => h.host)).toEqual([
      '<host-1>.<domain-1>',
      '<host-2>.<domain-1>',
    ]);
  });

  it('keeps the OTRF licence notice and says the evidence is CC BY-NC 4.0', () => {
    expect(readFileSync(join(dir, 'LICENSE.OTRF'), 'utf8')).toBe(
      readFileSync(join(WINDOWS, 'LICENSE.OTRF'), 'utf8'),
    );
    const body = readFileSync(join(dir, 'PULL_REQUEST.md'), 'utf8');
    expect(body).toMatch(/CC BY-NC 4\.0/);
    expect(body).toContain('LICENSE.OTRF');
    expect(body).not.toMatch(/WORKSTATION|theshire|pgustavo|S-1-5-21-/i);
  });

  it('round-trips through evidence:verify', async () => {
    expect((await verifyPackage(dir)).differences).toEqual([]);
  }, 60_000);
});

describe('Windows captures in the other layouts', () => {
  it('packages wevtutil XML (stand-ins escaped inside elements) and Winlogbeat alike, and both verify', async () => {
    const cells: string[][] = [];
    for (const [id, file] of [
      ['xml', 'schtask_create.wevtutil.xml'],
      ['winlogbeat', 'schtask_create.winlogbeat.ndjson'],
    ] as const) {
      const made = await createPackage({
        captures: [join(WINDOWS, file)],
        manifests: [],
        vendor: 'sysmon',
        tester: { handle: 'otrf' },
        id: `layout-${id}`,
        root,
      });
      expect((await verifyPackage(made.dir)).differences, file).toEqual([]);
      const text = gunzipSync(
        readFileSync(join(made.dir, made.record.inputs.captures[0]?.file ?? '')),
      ).toString('utf8');
      expect(text).not.toMatch(/WORKSTATION\d|theshire|pgustavo|S-1-5-21-\d/i);
      cells.push(Object.keys(made.assertions.cells).sort());
    }
    // The same real records in two layouts show the same sub-categories.
    expect(cells[0]).toEqual(cells[1]);
    expect(cells[0]?.length).toBeGreaterThan(5);
  }, 60_000);
});

describe('npm run evidence -- package', () => {
  const CLI = resolve(import.meta.dirname, '../../generators/evidence/cli.ts');
  const run = (args: string[]) =>
    spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });

  it('lists its flags in --help', () => {
    const help = run(['--help']);
    expect(help.status).toBe(0);
    for (const flag of [
      '--tester',
      '--affiliation',
      '--policy',
      '--version-for',
      '--notice',
      '--cells',
    ])
      expect(help.stdout).toContain(flag);
  });

  it('refuses, with exit 1 and the reason, a capture whose sensor is another product', () => {
    const out = run([
      'package',
      '--events',
      join(FIXTURES_DIR, 'handmade', 'elastic-defend.ndjson'),
      '--vendor',
      'CrowdStrike',
      '--tester',
      'someone',
      '--out',
      join(root, 'cli'),
    ]);
    expect(out.status).toBe(1);
    expect(out.stderr).toContain('agent.type "endpoint" (Elastic Defend, evidence for "elastic")');
  });

  it('asks for the tester with exit 2', () => {
    const out = run([
      'package',
      '--events',
      join(WINDOWS, 'schtask_create.ndjson.gz'),
      '--vendor',
      'sysmon',
    ]);
    expect(out.status).toBe(2);
    expect(out.stderr).toContain('package needs --tester <handle>');
  });
});
