/**
 * One run of `generate all` under the auditd sensor, read twice: auditd's own audit.log through
 * the raw reader, and LAUREL's JSONL of the same run. The evidence tool judges both against the
 * same manifest; wherever both recorded an action, the verdict on it must be the same. LAUREL sits
 * behind a plugin queue that can overflow, so an action recorded by one reading only is reported
 * (printed), not failed. The run also execs a file whose name is not UTF-8, which must stay bytes
 * from the log through the facts to the evidence.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bytesFromText,
  escapeBytes,
  textFromBytes,
} from '../../generators/evidence/auditd-raw/decode.ts';
import { type EvidenceRun, loadManifest, runEvidence } from '../../generators/evidence/evidence.ts';
import type { EvidenceFile } from '../../generators/evidence/evidence-file.schema.ts';
import { type CaptureEvent, readCapture } from '../../generators/evidence/readers/capture.ts';
import { renderMarkdown } from '../../generators/evidence/report.ts';
import {
  type AuditdSession,
  auditdUnavailable,
  startAuditd,
} from '../../generators/evidence/sensors/auditd.ts';
import { currentActor } from '../../generators/lib/actor.ts';
import { now } from '../../generators/lib/clock.ts';
import { hostInfo } from '../../generators/lib/host.ts';
import { MANIFEST_SCHEMA_VERSION, parseManifest } from '../../generators/manifest.schema.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const GENERATE = join(ROOT, 'generators/cli.ts');
const AUDITCTL = '/usr/sbin/auditctl';

const why = auditdUnavailable();
if (why !== undefined) process.stderr.write(`[skip] auditd raw vs LAUREL: ${why}\n`);

/** What must be as it was after the run: auditd not running, no rules, the same settings. */
function auditState() {
  const status = execFileSync(AUDITCTL, ['-s'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => /^(enabled|pid|backlog_limit|backlog_wait_time|rate_limit|failure) /.test(l));
  return { status, rules: execFileSync(AUDITCTL, ['-l'], { encoding: 'utf8' }).trim() };
}

function runChild(cmd: string, args: string[]): Promise<{ pid: number; code: number | null }> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'], cwd: ROOT });
    child.once('error', rej);
    child.once('exit', (code) => res({ pid: child.pid ?? 0, code }));
  });
}

/** The bytes of the name execed: `run-` then 0xff 0xfe, which no UTF-8 decoder accepts. */
const NAME = Buffer.concat([Buffer.from('run-'), Buffer.from([0xff, 0xfe])]);

/**
 * Execs a copy of /usr/bin/true named with NAME and writes the manifest of that exec: the name in
 * the manifest is `textFromBytes` of the bytes given to the kernel (lone surrogates, which JSON
 * keeps as `\udcff`). bash's `$'\xff'` quoting puts the bytes into execve without Node encoding
 * them (a Node string argument is always written as UTF-8).
 */
async function execNonUtf8(dir: string, out: string): Promise<string> {
  const path = Buffer.concat([Buffer.from(`${dir}/`), NAME]);
  copyFileSync('/usr/bin/true', path);
  chmodSync(path, 0o755);
  const executable = textFromBytes(path);
  const start = now();
  const ran = await runChild('/bin/bash', ['-c', `exec ${dir}/run-$'\\xff\\xfe' hello`]);
  const end = now();
  rmSync(path);
  if (ran.code !== 0) throw new Error(`the renamed /usr/bin/true exited with ${ran.code}`);
  const actor = currentActor();
  const manifest = parseManifest(
    {
      schemaVersion: MANIFEST_SCHEMA_VERSION,
      tool: { name: 'auditd-raw-vs-laurel.host.test', version: '1', node: process.versions.node },
      createdAt: start.time,
      host: hostInfo(),
      invocation: { argv: [], pid: process.pid, uid: actor.uid, repeat: 1 },
      runs: [
        {
          runId: 'etm-0000ff0e',
          generator: 'non_utf8_exec',
          iteration: 1,
          subCategories: ['process-creation', 'process-termination'],
          startTime: start.time,
          endTime: end.time,
          status: 'ok',
          ranAs: { uid: actor.uid, gid: actor.gid, user: 'root' },
          tempDir: dir,
          actions: [
            {
              seq: 1,
              phase: 'action',
              subCategories: ['process-creation', 'process-termination'],
              operation: 'execve',
              via: 'command',
              at: start,
              durationNs: (BigInt(end.monotonicNs) - BigInt(start.monotonicNs)).toString(),
              actor,
              args: { executable, argv: [executable, 'hello'] },
              children: [
                {
                  pid: ran.pid,
                  ppid: process.pid,
                  executable,
                  argv: [executable, 'hello'],
                  exitCode: 0,
                  signal: null,
                },
              ],
              expect: 'success',
              result: { ok: true, returnValue: 0 },
            },
          ],
          leftovers: [],
        },
      ],
    },
    out,
  );
  writeFileSync(out, `${JSON.stringify(manifest, null, 2)}\n`);
  return executable;
}

type Cell = EvidenceFile['cells'][string];
type Target = Cell['targets'][number];

/** One manifest action of one sub-category, judged in both readings. */
interface Pair {
  sub: string;
  key: string;
  raw: Target | undefined;
  laurel: Target | undefined;
}

function pairs(raw: EvidenceRun, laurel: EvidenceRun): Pair[] {
  const out: Pair[] = [];
  for (const [sub, cell] of Object.entries(laurel.file.cells)) {
    const rawCell = raw.file.cells[sub];
    const key = (t: Target) => `${t.generator}#${t.seq} ${t.action}`;
    const byKey = new Map((rawCell?.targets ?? []).map((t) => [key(t), t]));
    for (const t of cell.targets) out.push({ sub, key: key(t), raw: byKey.get(key(t)), laurel: t });
    for (const t of rawCell?.targets ?? []) {
      if (!cell.targets.some((l) => key(l) === key(t)))
        out.push({ sub, key: key(t), raw: t, laurel: undefined });
    }
  }
  return out;
}

/** The verdict on one action: how it was recorded and which facts were absent or wrong. */
const judged = (t: Target | undefined) =>
  t === undefined
    ? 'not judged'
    : `${t.outcome}${t.absent.length > 0 ? `, absent ${[...t.absent].sort().join(' ')}` : ''}${
        t.wrong.length > 0 ? `, wrong ${[...t.wrong].sort().join(' ')}` : ''
      }`;
const recorded = (t: Target | undefined) => t !== undefined && t.outcome !== 'missing';

describe.skipIf(why !== undefined)('auditd’s own log against LAUREL’s, one run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'etm-auditd-raw-live-'));
  const before = why === undefined ? auditState() : undefined;
  let session: AuditdSession;
  const rawLogOf = (s: AuditdSession): string => {
    if (s.rawLog === undefined)
      throw new Error('the auditd session kept no raw log (rawLog: true)');
    return s.rawLog;
  };
  let raw: EvidenceRun;
  let laurel: EvidenceRun;
  let executable: string;
  const bytesManifest = join(dir, 'non-utf8.json');

  beforeAll(async () => {
    const log = (line: string) => process.stderr.write(`${line}\n`);
    session = await startAuditd(join(dir, 'sensor'), log, { rawLog: true });
    try {
      const gen = await runChild(process.execPath, [
        GENERATE,
        'all',
        '--out',
        join(dir, 'manifest.json'),
      ]);
      if (gen.code !== 0) log(`generate all exited with ${gen.code}; its manifest says what ran`);
      executable = await execNonUtf8(dir, bytesManifest);
      // auditd ends an event at its EOE or after end_of_event_timeout (2 s); LAUREL likewise.
      await new Promise((r) => setTimeout(r, 3000));
    } finally {
      await session.stop();
    }
    const manifests = await Promise.all(
      [join(dir, 'manifest.json'), bytesManifest].map(loadManifest),
    );
    const vendor = { name: 'auditd' };
    raw = await runEvidence({ manifests, captures: [rawLogOf(session)], vendor });
    laurel = await runEvidence({
      manifests,
      captures: [session.capture],
      format: 'laurel',
      vendor,
    });
  }, 400_000);

  // ETM_KEEP_CAPTURE=1 keeps both logs and the manifests for a look at a difference.
  afterAll(() => {
    if (process.env.ETM_KEEP_CAPTURE === undefined) rmSync(dir, { recursive: true, force: true });
    else process.stderr.write(`kept ${dir}\n`);
  });

  it('leaves auditd stopped and the audit rules and settings as they were', () => {
    expect(auditState()).toEqual(before);
    expect(() => process.kill(session.pid, 0)).toThrow();
  });

  it('reads the raw log as audit.log, into as many events as LAUREL wrote', () => {
    const [rawCapture] = raw.match.captures;
    const [laurelCapture] = laurel.match.captures;
    expect(rawCapture).toMatchObject({ format: 'laurel', layout: 'audit.log', malformed: 0 });
    process.stdout.write(
      `auditd raw log: ${rawCapture?.events} events; LAUREL: ${laurelCapture?.events} events\n`,
    );
    expect(rawCapture?.events).toBeGreaterThan(1000);
  });

  it('judges every action both recorded the same way; one-sided ones are reported', () => {
    const all = pairs(raw, laurel);
    const both = all.filter((p) => recorded(p.raw) && recorded(p.laurel));
    const oneSided = all.filter((p) => recorded(p.raw) !== recorded(p.laurel));
    const differ = both.filter((p) => judged(p.raw) !== judged(p.laurel));
    const cellsDiffer = Object.keys(laurel.file.cells).filter(
      (sub) => raw.file.cells[sub]?.verdict !== laurel.file.cells[sub]?.verdict,
    );
    const lines = [
      `actions compared: ${all.length}; recorded by both: ${both.length}; by neither: ${all.length - both.length - oneSided.length}; by one reading only: ${oneSided.length}`,
      ...oneSided.map(
        (p) =>
          `  only ${recorded(p.raw) ? 'raw audit.log' : 'LAUREL'}: ${p.sub} ${p.key} (raw: ${judged(p.raw)}; LAUREL: ${judged(p.laurel)})`,
      ),
      `verdicts differing where both recorded: ${differ.length}`,
      ...differ.map((p) => `  ${p.sub} ${p.key}: raw ${judged(p.raw)}; LAUREL ${judged(p.laurel)}`),
      `sub-category verdicts differing: ${cellsDiffer.length}`,
      ...cellsDiffer.map(
        (sub) =>
          `  ${sub}: raw ${raw.file.cells[sub]?.verdict}; LAUREL ${laurel.file.cells[sub]?.verdict}`,
      ),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    expect(both.length).toBeGreaterThan(50);
    expect(differ.map((p) => `${p.sub} ${p.key}: ${judged(p.raw)} ≠ ${judged(p.laurel)}`)).toEqual(
      [],
    );
  });

  it('keeps a file name that is not UTF-8 as bytes from the log through the manifest to the evidence', async () => {
    // The manifest on disk holds the name as JSON escapes of lone surrogates, and gives the bytes back.
    const onDisk = readFileSync(bytesManifest, 'utf8');
    expect(onDisk).toContain('run-\\udcff\\udcfe');
    expect(bytesFromText(executable).subarray(-NAME.length)).toEqual(NAME);
    // The raw reader writes the exec in LAUREL's lossless escape, as LAUREL did for the same exec.
    const shown = escapeBytes(Buffer.concat([Buffer.from(`${dir}/`), NAME]));
    expect(shown.endsWith('run-%ff%fe')).toBe(true);
    const execs = async (capture: string, format?: 'laurel') => {
      const found: CaptureEvent[] = [];
      await readCapture(capture, { format }, (e) => {
        const s = e.doc.SYSCALL as { exe?: unknown } | undefined;
        if (s?.exe === shown && e.doc.EXECVE !== undefined) found.push(e);
      });
      return found.map((e) => ({ argv: (e.doc.EXECVE as { ARGV?: unknown }).ARGV }));
    };
    expect(await execs(rawLogOf(session))).toEqual([{ argv: [shown, 'hello'] }]);
    expect(await execs(session.capture, 'laurel')).toEqual([{ argv: [shown, 'hello'] }]);
    // The evidence: the exec proves its action with every fact right, in both readings, and the
    // sample event shows the name escaped.
    for (const run of [raw, laurel]) {
      const cell = run.file.cells['process-creation'];
      const target = cell?.targets.find((t) => t.generator === 'non_utf8_exec');
      expect(target).toMatchObject({ outcome: 'observed', absent: [], wrong: [] });
      // Shown escaped: JSON escapes the lone surrogates, the Markdown writes \xff; no U+FFFD.
      expect(JSON.stringify(run.file)).toContain('run-\\udcff\\udcfe');
      expect(JSON.stringify(run.file)).not.toContain('\ufffd');
      expect(renderMarkdown(run)).not.toMatch(/[\ufffd\udc80-\udcff]/);
    }
  });
});
