/** What leaves the host in samples and fixtures: no host names, machine ids or home directories. */
import { describe, expect, it } from 'vitest';
import { redactDoc, sanitizeEvent } from '../../generators/evidence/sanitize.ts';

const event = {
  '@timestamp': '2026-05-18T09:12:01.450Z',
  host: { name: 'ruben-lab-01', hostname: 'ruben-lab-01', id: 'c0ffee', os: { type: 'linux' } },
  event: { action: 'memfd_create' },
  process: {
    pid: 4301,
    executable: '/home/ruben_groenewoud/fileless_loader/loader3',
    args: ['./loader3', '/home/ruben_groenewoud/hello.ko', 'built on build-box-7'],
    Ext: { memfd: { name: 'memfd:payload' } },
  },
  environment: { SECRET_TOKEN: 'abc' },
};

describe('sanitising events', () => {
  it('keeps only the proving fields, with home directories and host names redacted', () => {
    expect(
      sanitizeEvent(
        event,
        ['process.executable', 'process.args', 'process.Ext.memfd.name', 'host.name'],
        {
          words: ['build-box-7'],
        },
      ),
    ).toEqual({
      '@timestamp': '2026-05-18T09:12:01.450Z',
      'event.action': 'memfd_create',
      'process.executable': '/home/<user>/fileless_loader/loader3',
      'process.args': ['./loader3', '/home/<user>/hello.ko', 'built on <host>'],
      'process.Ext.memfd.name': 'memfd:payload',
      'host.name': '<host>',
    });
  });

  it('redacts a whole event for a committed fixture, keeping its shape', () => {
    const out = redactDoc(event, { words: ['build-box-7'] });
    expect(out.host).toEqual({
      name: '<host>',
      hostname: '<host>',
      id: '<host>',
      os: { type: 'linux' },
    });
    expect(JSON.stringify(out)).not.toMatch(/ruben|build-box-7|c0ffee/);
    expect((out.process as { pid: number }).pid).toBe(4301);
  });
});
