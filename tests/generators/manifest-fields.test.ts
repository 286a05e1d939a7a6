/** The fields strict evidence keys on: script delivery, network direction, logon facts. */
import { describe, expect, it } from 'vitest';
import { RunSchema } from '../../generators/manifest.schema.ts';

const at = {
  time: '2026-11-23T13:00:00.000Z',
  realtimeNs: '1795438800000000000',
  monotonicNs: '1000',
  boottimeNs: '1000',
};

/** A run with one action carrying `args`; returns the paths of the problems under args. */
function problems(args: unknown): string[] {
  const parsed = RunSchema.safeParse({
    runId: 'etm-0123abcd',
    generator: 'script_content',
    iteration: 1,
    subCategories: ['script-content'],
    startTime: at.time,
    endTime: at.time,
    status: 'ok',
    ranAs: { uid: 65534, gid: 65534, user: 'nobody' },
    leftovers: [],
    actions: [
      {
        seq: 1,
        phase: 'action',
        subCategories: ['script-content'],
        operation: 'execve',
        via: 'command',
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
        args,
        expect: 'success',
        result: { ok: true },
      },
    ],
  });
  return (parsed.error?.issues ?? []).map((issue) => issue.path.slice(3).join('.')).sort();
}

const ssh = {
  service: 'sshd',
  user: 'etm-0123abcd',
  authMethod: 'publickey',
  outcome: 'failure',
  sourceAddress: '127.0.0.1',
  sourcePort: 40000,
  destinationAddress: '127.0.0.1',
  destinationPort: 40001,
  serverPid: 10,
  keyFingerprint: 'SHA256:abc',
  serverLog: ['Failed publickey for etm-0123abcd from 127.0.0.1 port 40000 ssh2'],
};

describe('manifest fields for strict evidence', () => {
  it('accepts a script delivered by file with its path and interpreter pid', () => {
    expect(
      problems({
        script: {
          interpreter: '/usr/bin/bash',
          content: '#!/usr/bin/bash\necho etm-0123abcd\n',
          sha256: 'a'.repeat(64),
          delivery: 'file',
          path: '/tmp/etm-0123abcd-x/etm-0123abcd-script.sh',
          pid: 1234,
        },
      }),
    ).toEqual([]);
  });

  it('rejects an unknown delivery, a relative script path and an unknown direction', () => {
    expect(
      problems({
        script: {
          interpreter: 'bash',
          content: '',
          sha256: 'a'.repeat(64),
          delivery: 'clipboard',
          path: 'script.sh',
        },
        network: {
          protocol: 'udp',
          family: 'ipv4',
          localAddress: '127.0.0.1',
          localPort: 1,
          direction: 'sideways',
        },
      }),
    ).toEqual(['network.direction', 'script.delivery', 'script.path']);
  });

  it('accepts an SSH logon with both ends, pids, fingerprint and the server log lines', () => {
    expect(problems({ logon: ssh })).toEqual([]);
    expect(problems({ logon: { ...ssh, outcome: 'maybe', sourcePort: 0 } })).toEqual([
      'logon.outcome',
      'logon.sourcePort',
    ]);
  });
});
