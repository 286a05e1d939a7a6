/**
 * What leaves the host in samples, fixtures and evidence packages: no host, domain or user names,
 * SIDs, addresses, home directories, e-mail addresses or secrets.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Doc } from '../../generators/evidence/readers/fields.ts';
import { redactDoc, Sanitizer, sanitizeEvent } from '../../generators/evidence/sanitize.ts';
import { fileShape, learnFile, sanitizeFile } from '../../generators/evidence/sanitize-capture.ts';

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

describe('sanitising a capture for an evidence package', () => {
  const token = 'ghp_9fK2LmQ7xZt4Rb8VnW1sYc3Hd6Jp0aEuTgQo';
  const apiKey = 'sk_live_51HxYzAbCdEfGhIjKlMnOpQr';
  const linuxA = [
    {
      '@timestamp': '2026-05-18T09:12:01.450Z',
      host: { name: 'ruben-lab-01', ip: ['10.20.30.40', '127.0.0.1'] },
      user: { name: 'alice.smith' },
      event: { action: 'exec' },
      process: {
        pid: 4301,
        executable: '/home/alice.smith/bin/fetch',
        args: ['curl', '-H', `Authorization: Bearer ${token}`, 'http://10.20.30.40/'],
      },
      destination: { ip: '10.20.30.40', port: 80 },
      message: 'report sent to alice.smith@corp-example.com from ruben-lab-01',
      labels: { api_key: apiKey },
    },
    // The generators' own test account and loopback traffic are evidence, not personal data.
    {
      '@timestamp': '2026-05-18T09:12:02.000Z',
      host: { name: 'ruben-lab-01' },
      user: { name: 'etm-1a2b3c4d' },
      source: { ip: '127.0.0.1' },
      destination: { ip: 'fd00:1234:5678::42' },
      process: { executable: '/usr/sbin/sshd', args: ['sshd: etm-1a2b3c4d'] },
    },
  ];
  const linuxB = [
    {
      '@timestamp': '2026-05-18T09:13:00.000Z',
      host: { hostname: 'RUBEN-LAB-01' },
      process: { working_directory: '/home/alice.smith', executable: '/usr/bin/ssh' },
      destination: { ip: '10.20.30.40' },
    },
  ];
  const windows = {
    SourceName: 'Microsoft-Windows-Security-Auditing',
    Channel: 'Security',
    Hostname: 'WKS-FINANCE7.acme-corp.local',
    EventID: 4688,
    SubjectUserSid: 'S-1-5-21-1111111111-2222222222-3333333333-1104',
    SubjectUserName: 'jdoe',
    SubjectDomainName: 'ACMECORP',
    TargetUserSid: 'S-1-5-18',
    NewProcessName: 'C:\\Users\\jdoe\\AppData\\Local\\Temp\\stage.exe',
    Message:
      'A new process has been created.\r\n\tSecurity ID:\t\tS-1-5-21-1111111111-2222222222-3333333333-1104\r\n\tAccount Name:\t\tjdoe\r\n\tAccount Domain:\t\tACMECORP\r\n\tWorkstation:\tWKS-FINANCE7',
  };
  const originals = [
    'ruben-lab-01',
    '10.20.30.40',
    'alice.smith',
    'corp-example.com',
    token,
    apiKey,
    'fd00:1234:5678::42',
    'WKS-FINANCE7',
    'acme-corp.local',
    'S-1-5-21-1111111111',
    'jdoe',
    'ACMECORP',
  ];

  async function sanitizeAll(): Promise<{ texts: string[]; sanitizer: Sanitizer }> {
    const dir = mkdtempSync(join(tmpdir(), 'etm-sanitize-'));
    try {
      const files = [join(dir, 'a.ndjson'), join(dir, 'b.ndjson.gz'), join(dir, 'windows.ndjson')];
      writeFileSync(files[0] as string, linuxA.map((e) => JSON.stringify(e)).join('\n'));
      writeFileSync(
        files[1] as string,
        gzipSync(`${linuxB.map((e) => JSON.stringify(e)).join('\n')}\n`),
      );
      writeFileSync(files[2] as string, `${JSON.stringify(windows)}\n`);
      const sanitizer = new Sanitizer();
      const shapes = await Promise.all(files.map(fileShape));
      for (const [i, f] of files.entries()) await learnFile(f, shapes[i] ?? 'text', sanitizer);
      const texts: string[] = [];
      for (const [i, f] of files.entries())
        texts.push((await sanitizeFile(f, shapes[i] ?? 'text', sanitizer)).text);
      return { texts, sanitizer };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('leaves none of the original values in the output bytes', async () => {
    const { texts } = await sanitizeAll();
    const bytes = Buffer.from(texts.join('\n')).toString('latin1').toLowerCase();
    for (const original of originals)
      expect(bytes, `"${original}" is still in the output`).not.toContain(original.toLowerCase());
  });

  it('gives each value one stand-in across files, and keeps test accounts, loopback and well-known SIDs', async () => {
    const { texts } = await sanitizeAll();
    const [a, b, w] = texts.map((t) =>
      t
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l)),
    ) as [Doc[], Doc[], Doc[]];
    const [a1, a2] = a as [Doc, Doc];
    const b1 = b[0] as Doc;
    const hostA = (a1.host as Doc).name;
    expect(hostA).toMatch(/^<host-\d+>$/);
    // The same host in another file, in another case, in another field: the same stand-in.
    expect((b1.host as Doc).hostname).toBe(hostA);
    expect((a2.host as Doc).name).toBe(hostA);
    const ip = (a1.destination as Doc).ip;
    expect(ip).toMatch(/^(192\.0\.2|198\.51\.100|203\.0\.113)\.\d+$/);
    expect((b1.destination as Doc).ip).toBe(ip);
    expect((a1.host as Doc).ip).toEqual([ip, '127.0.0.1']);
    const user = (a1.user as Doc).name as string;
    expect(user).toMatch(/^<user-\d+>$/);
    expect((a1.process as Doc).executable).toBe(`/home/${user}/bin/fetch`);
    expect((b1.process as Doc).working_directory).toBe(`/home/${user}`);
    expect((a1.process as Doc).args).toEqual([
      'curl',
      '-H',
      expect.stringMatching(/^Authorization: Bearer <secret-\d+>$/),
      `http://${ip}/`,
    ]);
    expect(a1.message).toMatch(/^report sent to <email-\d+> from <host-\d+>$/);
    expect((a1.labels as Doc).api_key).toMatch(/^<secret-\d+>$/);
    expect((a2.user as Doc).name).toBe('etm-1a2b3c4d');
    expect((a2.source as Doc).ip).toBe('127.0.0.1');
    expect((a2.destination as Doc).ip).toMatch(/^2001:db8::/);
    const win = w[0] as Doc;
    expect(win.Hostname).toMatch(/^<host-\d+>\.<domain-\d+>$/);
    expect(win.SubjectUserSid).toMatch(/^<sid-\d+>$/);
    expect(win.TargetUserSid).toBe('S-1-5-18');
    expect(win.SubjectUserName).toMatch(/^<user-\d+>$/);
    expect(win.NewProcessName).toBe(
      `C:\\Users\\${win.SubjectUserName}\\AppData\\Local\\Temp\\stage.exe`,
    );
    expect(win.Message).toContain(`Account Name:\t\t${win.SubjectUserName}`);
    expect(win.Message).toContain(`Security ID:\t\t${win.SubjectUserSid}`);
    expect(win.Message).toContain(`Workstation:\t${String(win.Hostname).split('.')[0]}`);
  });

  it('reports how many values of each kind it replaced, never the values', async () => {
    const { sanitizer } = await sanitizeAll();
    const report = sanitizer.report();
    expect(Object.fromEntries(Object.entries(report).map(([k, v]) => [k, v?.values]))).toEqual({
      host: 2,
      domain: 2,
      user: 2,
      sid: 1,
      email: 1,
      ipv4: 1,
      ipv6: 1,
      secret: 2,
    });
    const text = JSON.stringify(report).toLowerCase();
    for (const original of originals) expect(text).not.toContain(original.toLowerCase());
  });

  it('is a fixed point: sanitising its own output changes nothing', async () => {
    const { texts } = await sanitizeAll();
    const again = new Sanitizer();
    for (const t of texts)
      for (const line of t.split('\n').filter((l) => l !== '')) {
        const doc = JSON.parse(line) as Doc;
        again.learn(doc);
        expect(again.doc(doc)).toEqual(doc);
      }
    expect(again.report()).toEqual({});
  });
});
