import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  LINUX_SUB_CATEGORY_IDS,
  type Manifest,
  ManifestError,
  parseManifest,
  SubCategoryIdSchema,
} from '../../generators/manifest.schema.ts';
import { GENERATORS } from '../../generators/registry.ts';
import { ROOT } from './helpers.ts';

const at = {
  time: '2026-11-23T13:00:00.000Z',
  realtimeNs: '1795438800000000000',
  monotonicNs: '1000',
  boottimeNs: '1000',
};

function minimal(): Manifest {
  return {
    schemaVersion: 1,
    tool: { name: 'etm-generate', version: '0.1.0', node: 'v24.0.0' },
    createdAt: at.time,
    host: {
      hostname: 'h',
      kernelRelease: '6.18.0',
      kernelVersion: '#1',
      arch: 'x86_64',
      distro: { id: 'debian', name: 'Debian', version: '12' },
      bootId: 'b',
      pid1: 'systemd',
      clocks: at,
    },
    invocation: { argv: ['all'], pid: 1, uid: 0, repeat: 1 },
    runs: [
      {
        runId: 'etm-0123abcd',
        generator: 'file_activity',
        iteration: 1,
        subCategories: ['file-creation'],
        startTime: at.time,
        endTime: at.time,
        status: 'ok',
        ranAs: { uid: 65534, gid: 65534, user: 'nobody' },
        leftovers: [],
        actions: [
          {
            seq: 1,
            phase: 'action',
            subCategories: ['file-creation'],
            operation: 'create',
            via: 'node',
            at,
            durationNs: '1500',
            actor: {
              pid: 10,
              ppid: 1,
              uid: 65534,
              euid: 65534,
              gid: 65534,
              egid: 65534,
              comm: 'node',
              executable: '/usr/bin/node',
            },
            args: {
              path: '/tmp/etm-0123abcd-x/a.txt',
              flags: { value: 193, names: ['O_WRONLY', 'O_CREAT', 'O_EXCL'] },
            },
            expect: 'success',
            result: { ok: true, returnValue: 5 },
          },
        ],
      },
    ],
  };
}

function problems(input: unknown): string {
  try {
    parseManifest(input, 'm.json');
  } catch (error) {
    if (error instanceof ManifestError) return error.message;
    throw error;
  }
  return 'valid';
}

describe('parseManifest', () => {
  it('accepts a minimal manifest and returns it typed', () => {
    const manifest = parseManifest(minimal(), 'm.json');
    expect(manifest.runs[0]?.actions[0]?.args.path).toBe('/tmp/etm-0123abcd-x/a.txt');
  });

  it('parses JSON text as well as objects', () => {
    expect(parseManifest(JSON.stringify(minimal())).runs).toHaveLength(1);
  });

  it('refuses a key written twice, naming both lines', () => {
    const text = JSON.stringify(minimal(), null, 2).replace(
      '"schemaVersion": 1,',
      '"schemaVersion": 1,\n  "schemaVersion": 1,',
    );
    expect(problems(text)).toContain(
      'm.json: key "schemaVersion" is written twice in one object (line 2, column 3 and line 3, column 3)',
    );
  });

  it('names the file, each dot path and the problem, all at once', () => {
    const bad = minimal() as unknown as {
      runs: Array<Record<string, unknown> & { actions: Array<Record<string, unknown>> }>;
    };
    const run = bad.runs[0];
    if (run === undefined) throw new Error('fixture has a run');
    run.status = 'done';
    run.runId = 'run-1';
    const action = run.actions[0];
    if (action === undefined) throw new Error('fixture has an action');
    action.subCategories = ['file-creation', 'teleportation'];
    action.surprise = true;
    expect(problems(bad)).toMatchInlineSnapshot(`
      "m.json is not a valid generator manifest (4 problems):
        m.json → runs[0].runId: Invalid string: must match pattern /^etm-[0-9a-f]{8}$/
        m.json → runs[0].status: expected "ok" | "failed" | "not-possible", received "done"
        m.json → runs[0].actions[0].subCategories[1]: expected "process-creation" | "process-termination" | "file-creation" | "file-modification" | "file-deletion" | "user-logon" | "user-logoff" | "logon-failed" | "script-content" | "network-connection" | "network-socket-listen" | "dns-query" | "scheduled-task" | "user-account-created" | "user-account-modified" | "user-account-deleted" | "driver-load" | "image-load" | "ebpf-event" | "raw-access-read" | "process-access" | "process-tampering" | "memory-backed-file-creation" | "service-creation" | "service-modification" | "service-deletion" | "agent-start" | "agent-stop" | "md5" | "sha" | "fuzzy-hash" | "file-entropy" | "file-header-bytes" | "file-size", received "teleportation"
        m.json → runs[0].actions[0]: unknown key "surprise""
    `);
  });

  it('says which schema version it reads when the file has another', () => {
    expect(problems({ ...minimal(), schemaVersion: 2 })).toMatchInlineSnapshot(`
      "m.json is not a valid generator manifest (1 problem):
        m.json → schemaVersion: this tool reads version 1, the file has 2; regenerate it with npm run generate"
    `);
  });

  it('reports text that is not JSON', () => {
    expect(problems('{"schemaVersion": 1,')).toMatch(
      /^m\.json is not a valid generator manifest \(1 problem\):\n {2}m\.json: the file is not valid JSON \(/,
    );
  });

  it('rejects an entropy outside 0 to 8 bits per byte and malformed hashes', () => {
    const bad = minimal();
    const action = bad.runs[0]?.actions[0];
    if (action === undefined) throw new Error('fixture has an action');
    action.args.file = {
      path: '/tmp/x',
      size: 1,
      sha256: 'ABC',
      sha1: '0'.repeat(40),
      md5: '0'.repeat(32),
      ssdeep: '3::',
      entropy: 8.5,
      headerHex: '00',
    };
    const text = problems(bad);
    expect(text).toContain(
      'runs[0].actions[0].args.file.sha256: expected 64 lowercase hex characters',
    );
    expect(text).toContain(
      'runs[0].actions[0].args.file.entropy: Too big: expected number to be <=8',
    );
  });
});

describe('sub-category ids', () => {
  it('come from the Linux taxonomy in data/, including the memfd and file metadata rows', () => {
    const matrix = JSON.parse(
      readFileSync(join(ROOT, 'data', 'matrices', 'linux.json'), 'utf8'),
    ) as {
      categories: Array<{ subCategories: Array<{ id: string }> }>;
    };
    expect(LINUX_SUB_CATEGORY_IDS).toEqual(
      matrix.categories.flatMap((c) => c.subCategories.map((x) => x.id)),
    );
    expect(LINUX_SUB_CATEGORY_IDS).toEqual(
      expect.arrayContaining([
        'memory-backed-file-creation',
        'file-entropy',
        'file-header-bytes',
        'file-size',
      ]),
    );
  });

  it('every generator names only taxonomy ids', () => {
    for (const g of GENERATORS)
      expect(z.array(SubCategoryIdSchema).safeParse(g.subCategories).success, g.name).toBe(true);
  });
});
