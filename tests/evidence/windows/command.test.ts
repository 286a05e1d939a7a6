/**
 * The pieces cli.ts classify will call for Windows captures: the platform of a set of captures
 * (Windows, not Windows, or a refused mix) and the command's output and exit code.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  capturesPlatform,
  windowsClassifyCommand,
} from '../../../generators/evidence/windows/command.ts';
import { fixturePath, SAMPLES, samplePath, sampleText } from './helpers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'etm-windows-command-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function fakeIo() {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    io: {
      stdout: (t: string) => {
        out.stdout += t;
      },
      stderr: (t: string) => {
        out.stderr += t;
      },
    },
  };
}

describe('Windows classify command', () => {
  it('says the platform: Windows with each layout, not Windows, or a mix it refuses', async () => {
    const audit = join(tmp, 'audit.log');
    writeFileSync(audit, 'type=SYSCALL msg=audit(1.2:3): arch=c000003e syscall=59 a0=1,a1=2\n');
    expect(
      await capturesPlatform([
        samplePath(SAMPLES.empire),
        fixturePath('schtask_create.wevtutil.xml'),
      ]),
    ).toEqual({ kind: 'windows', layouts: ['nxlog-json', 'wevtutil-xml'] });
    expect(await capturesPlatform([audit])).toEqual({ kind: 'not-windows' });
    const mixed = await capturesPlatform([samplePath(SAMPLES.cmd), audit]);
    expect(mixed.kind).toBe('mixed');
  });

  it('prints the table, reports malformed records on stderr with their line, and exits 0', async () => {
    const lines = sampleText(SAMPLES.cmd).split('\n').slice(0, 20);
    lines[4] = '{broken';
    const path = join(tmp, 'cut.ndjson');
    writeFileSync(path, lines.join('\n'));
    const { io, out } = fakeIo();
    expect(await windowsClassifyCommand([path], { json: false }, io)).toBe(0);
    expect(out.stdout).toContain('## Windows host WORKSTATION5 (19 events');
    expect(out.stderr).toMatch(
      /cut\.ndjson: 1 malformed record\(s\) skipped; the first is at line 5 \(not JSON/,
    );
  });

  it('prints one JSON line with --json', async () => {
    const { io, out } = fakeIo();
    await windowsClassifyCommand([samplePath(SAMPLES.psh)], { json: true }, io);
    expect(out.stdout.trim().split('\n').length).toBe(1);
    expect(JSON.parse(out.stdout)).toMatchObject({ platform: 'windows' });
  });
});
