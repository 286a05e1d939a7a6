/**
 * The Windows rules are data: every id they name is a Windows sub-category of
 * data/matrices/windows.json (read here on its own), every rule says its platform and source,
 * and its exercise record is true: the rules that say which real captures exercise them match
 * events of exactly those captures, and the rules that say none does match none. Those are tested
 * on events built from the documented schema, and the test names say so.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openWindowsCapture } from '../../../generators/evidence/windows/detect.ts';
import {
  sourceKindOf,
  type WindowsEvent,
  WindowsEventSchema,
} from '../../../generators/evidence/windows/event.ts';
import { WINDOWS_SUB_CATEGORY_IDS } from '../../../generators/evidence/windows/rules.schema.ts';
import {
  absentRequired,
  extractWindowsFacts,
  loadWindowsRules,
  parseWindowsRuleSet,
  WINDOWS_RULES_FILE,
  WindowsRuleIndex,
} from '../../../generators/evidence/windows/rules.ts';
import { formatIssue } from '../../../scoring/issues.ts';
import { SAMPLES, samplePath } from './helpers.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
type Matrix = { categories: { subCategories: { id: string }[] }[] };
const idsOf = (file: string) =>
  (JSON.parse(readFileSync(resolve(ROOT, file), 'utf8')) as Matrix).categories.flatMap((c) =>
    c.subCategories.map((s) => s.id),
  );
const WINDOWS_IDS = idsOf('data/matrices/windows.json');
const LINUX_IDS = new Set(idsOf('data/matrices/linux.json'));

describe('shipped Windows rules', () => {
  it('name only sub-categories of data/matrices/windows.json, whose 57 ids the schema knows', async () => {
    const rules = await loadWindowsRules();
    expect(WINDOWS_IDS.length).toBe(57);
    expect([...WINDOWS_SUB_CATEGORY_IDS]).toEqual(WINDOWS_IDS);
    for (const rule of rules) expect(WINDOWS_IDS).toContain(rule.subCategory);
  });

  it('carry platform "windows" on every rule, as fourteen ids are Linux ids too', async () => {
    const rules = await loadWindowsRules();
    expect(rules.every((r) => r.platform === 'windows')).toBe(true);
    expect(WINDOWS_IDS.filter((id) => LINUX_IDS.has(id))).toEqual([
      'process-creation',
      'process-termination',
      'process-access',
      'file-creation',
      'file-deletion',
      'file-modification',
      'dns-query',
      'md5',
      'sha',
      'service-creation',
      'service-modification',
      'service-deletion',
      'agent-start',
      'agent-stop',
    ]);
  });

  it('cover the sources and events the issue lists', async () => {
    const rules = await loadWindowsRules();
    const covered = new Set(rules.flatMap((r) => r.eventIds.map((id) => `${r.source} ${id}`)));
    const wanted = [
      ...[1, 3, 5, 7, 8, 10, 11, 12, 13, 14, 17, 18, 22, 23, 26].map((id) => `sysmon ${id}`),
      ...[
        4688, 4689, 4697, 4698, 4699, 4700, 4701, 4702, 4720, 4722, 4723, 4724, 4725, 4726, 4738,
        4624, 4634, 5156,
      ].map((id) => `security ${id}`),
      'system 7045',
      'task-scheduler 106',
      'task-scheduler 140',
      'task-scheduler 141',
      'powershell 4104',
      'wmi 5861',
    ];
    expect(wanted.filter((w) => !covered.has(w))).toEqual([]);
  });

  it('say truly which real captures exercise them, and which none does', async () => {
    const rules = await loadWindowsRules();
    const index = new WindowsRuleIndex(rules);
    const hits = new Map<string, Set<string>>();
    for (const name of Object.values(SAMPLES)) {
      const read = await openWindowsCapture(samplePath(name));
      for await (const event of read.events)
        for (const rule of index.match(event)) {
          const set = hits.get(rule.id) ?? new Set<string>();
          set.add(name);
          hits.set(rule.id, set);
        }
    }
    for (const rule of rules) {
      const seen = [...(hits.get(rule.id) ?? [])].sort();
      if (rule.notExercisedHere === true)
        expect({ id: rule.id, seen }).toEqual({ id: rule.id, seen: [] });
      else expect({ id: rule.id, seen }).toEqual({ id: rule.id, seen: rule.exercisedBy });
    }
    expect(rules.filter((r) => r.notExercisedHere === true).map((r) => r.id)).toEqual(
      Object.keys(DOCUMENTED).sort(
        (a, b) => rules.findIndex((r) => r.id === a) - rules.findIndex((r) => r.id === b),
      ),
    );
  });

  it('report every problem of a broken rules file at once, located', () => {
    const shipped = JSON.parse(readFileSync(WINDOWS_RULES_FILE, 'utf8')) as {
      rules: Record<string, unknown>[];
    };
    const [first, second, third] = shipped.rules;
    const broken = {
      schemaVersion: 1,
      platform: 'windows',
      about: 'test',
      rules: [
        { ...first, subCategory: 'network-connection' },
        { ...second, notExercisedHere: true },
        { ...third, keys: ['pipeName'] },
        { ...first, when: { eventId: [1], 'data.Image': { pattern: '(' } } },
        { ...first, platform: 'linux' },
      ],
    };
    const result = parseWindowsRuleSet(broken, 'windows.json');
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.issues.map(formatIssue)).toMatchInlineSnapshot(`
      [
        "windows.json → rules[0].subCategory: expected "process-creation" | "process-termination" | "process-access" | "image-library-loaded" | "remote-thread-creation" | "win32-api-telemetry" | "process-tampering-activity" | "process-call-stacks" | "file-creation" | "file-opened" | "file-deletion" | "file-modification" | "file-renaming" | "local-account-creation" | "local-account-modification" | "local-account-deletion" | "account-login" | "account-logoff" | "tcp-connection" | "udp-connection" | "url" | "dns-query" | "file-downloaded" | "md5" | "sha" | "imphash" | "ja3-ja3s" | "key-value-creation" | "key-value-modification" | "key-value-deletion" | "scheduled-task-creation" | "scheduled-task-modification" | "scheduled-task-deletion" | "service-creation" | "service-modification" | "service-deletion" | "driver-loaded" | "driver-modification" | "driver-unloaded" | "virtual-disk-mount" | "usb-device-unmount" | "usb-device-mount" | "group-policy-modification" | "volume-shadow-copy-deletion" | "pipe-creation" | "pipe-connection" | "agent-start" | "agent-stop" | "agent-install" | "agent-uninstall" | "agent-keep-alive" | "agent-errors" | "wmieventconsumertofilter" | "wmieventconsumer" | "wmieventfilter" | "bits-jobs-activity" | "script-block-activity", received "network-connection"",
        "windows.json → rules[1].exercisedBy: a rule says either which real captures exercise it ("exercisedBy") or that none does ("notExercisedHere": true), not both or neither",
        "windows.json → rules[1].documentedSchema: a rule no real capture exercises names the documented schema it was written from",
        "windows.json → rules[2].keys: the key "pipeName" has no source in "facts"",
        "windows.json → rules[3].when.data.Image.pattern: not a valid regular expression",
        "windows.json → rules[4].platform: expected "windows", received "linux"",
      ]
    `);
  });
});

/** An event as a reader would give it, from a source's documented fields. */
function event(
  provider: string,
  channel: string,
  eventId: number,
  data: Record<string, string>,
): WindowsEvent {
  return WindowsEventSchema.parse({
    platform: 'windows',
    provider,
    channel,
    eventId,
    host: 'PC1',
    timeSource: 'none',
    kind: sourceKindOf(provider, channel),
    data,
    origin: { file: 'documented-schema', layout: 'wevtutil-xml', byteOffset: 0 },
  });
}
const SYSMON = ['Microsoft-Windows-Sysmon', 'Microsoft-Windows-Sysmon/Operational'] as const;
const SECURITY = ['Microsoft-Windows-Security-Auditing', 'Security'] as const;
const BASE = {
  RuleName: '-',
  UtcTime: '2024-05-18 09:12:01.101',
  ProcessGuid: '{1}',
  ProcessId: '4242',
};
const SUBJECT = {
  SubjectUserSid: 'S-1-5-21-1-1000',
  SubjectUserName: 'admin',
  SubjectDomainName: 'PC1',
  SubjectLogonId: '0x3e7',
};

/**
 * For each rule no real capture here exercises: an event with the fields its documentation lists
 * (Sysmon: learn.microsoft.com/sysinternals/downloads/sysmon; Security auditing: the event-NNNN
 * pages of learn.microsoft.com; the provider manifests for System 7045 and Task Scheduler 141).
 */
const DOCUMENTED: Record<string, WindowsEvent> = {
  'sysmon-file-delete': event(...SYSMON, 23, {
    ...BASE,
    User: 'PC1\\admin',
    Image: 'C:\\Windows\\System32\\cmd.exe',
    TargetFilename: 'C:\\Temp\\payload.exe',
    Hashes: 'SHA256=9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08',
    IsExecutable: 'true',
    Archived: 'true',
  }),
  'sysmon-file-delete-detected': event(...SYSMON, 26, {
    ...BASE,
    User: 'PC1\\admin',
    Image: 'C:\\Windows\\System32\\cmd.exe',
    TargetFilename: 'C:\\Temp\\notes.txt',
    Hashes: 'SHA256=9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08',
    IsExecutable: 'false',
  }),
  'sysmon-registry-delete': event(...SYSMON, 12, {
    ...BASE,
    EventType: 'DeleteKey',
    Image: 'C:\\Windows\\regedit.exe',
    TargetObject: 'HKLM\\SOFTWARE\\Acme',
  }),
  'sysmon-registry-rename': event(...SYSMON, 14, {
    ...BASE,
    EventType: 'RenameKey',
    Image: 'C:\\Windows\\regedit.exe',
    TargetObject: 'HKLM\\SOFTWARE\\Acme',
    NewName: 'HKLM\\SOFTWARE\\Acme2',
  }),
  'sysmon-driver-load': event(...SYSMON, 6, {
    RuleName: '-',
    UtcTime: '2024-05-18 09:12:01.101',
    ImageLoaded: 'C:\\Windows\\System32\\drivers\\acme.sys',
    Hashes: 'SHA256=9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08',
    Signed: 'true',
    Signature: 'Acme',
    SignatureStatus: 'Valid',
  }),
  'sysmon-process-tampering': event(...SYSMON, 25, {
    ...BASE,
    Image: 'C:\\Temp\\hollow.exe',
    Type: 'Image is replaced',
  }),
  'sysmon-wmi-filter': event(...SYSMON, 19, {
    RuleName: '-',
    EventType: 'WmiFilterEvent',
    UtcTime: '2024-05-18 09:12:01.101',
    Operation: 'Created',
    User: 'PC1\\admin',
    EventNamespace: '"root\\\\cimv2"',
    Name: '"AcmeFilter"',
    Query: '"SELECT * FROM __InstanceModificationEvent WITHIN 60"',
  }),
  'sysmon-wmi-consumer': event(...SYSMON, 20, {
    RuleName: '-',
    EventType: 'WmiConsumerEvent',
    UtcTime: '2024-05-18 09:12:01.101',
    Operation: 'Created',
    User: 'PC1\\admin',
    Name: '"AcmeConsumer"',
    Type: 'Command Line',
    Destination: '"C:\\\\Temp\\\\run.exe"',
  }),
  'sysmon-wmi-binding': event(...SYSMON, 21, {
    RuleName: '-',
    EventType: 'WmiBindingEvent',
    UtcTime: '2024-05-18 09:12:01.101',
    Operation: 'Created',
    User: 'PC1\\admin',
    Consumer: '"CommandLineEventConsumer.Name=\\"AcmeConsumer\\""',
    Filter: '"__EventFilter.Name=\\"AcmeFilter\\""',
  }),
  'sysmon-service-started': event(...SYSMON, 4, {
    UtcTime: '2024-05-18 09:12:01.101',
    State: 'Started',
    Version: '15.14',
    SchemaVersion: '4.90',
  }),
  'sysmon-service-stopped': event(...SYSMON, 4, {
    UtcTime: '2024-05-18 09:12:01.101',
    State: 'Stopped',
    Version: '15.14',
    SchemaVersion: '4.90',
  }),
  'security-task-deleted': event(...SECURITY, 4699, {
    ...SUBJECT,
    TaskName: '\\AcmeTask',
    TaskContent: '',
  }),
  'security-task-changed': event(...SECURITY, 4702, {
    ...SUBJECT,
    TaskName: '\\AcmeTask',
    TaskContentNew: '<Task/>',
  }),
  'security-service-installed': event(...SECURITY, 4697, {
    ...SUBJECT,
    ServiceName: 'AcmeSvc',
    ServiceFileName: 'C:\\Temp\\svc.exe',
    ServiceType: '0x10',
    ServiceStartType: '3',
    ServiceAccount: 'LocalSystem',
  }),
  'security-account-created': event(...SECURITY, 4720, {
    ...SUBJECT,
    TargetUserName: 'etm-user',
    TargetDomainName: 'PC1',
    TargetSid: 'S-1-5-21-1-1001',
    SamAccountName: 'etm-user',
  }),
  'security-account-changed': event(...SECURITY, 4738, {
    ...SUBJECT,
    TargetUserName: 'etm-user',
    TargetDomainName: 'PC1',
    TargetSid: 'S-1-5-21-1-1001',
  }),
  'security-account-deleted': event(...SECURITY, 4726, {
    ...SUBJECT,
    TargetUserName: 'etm-user',
    TargetDomainName: 'PC1',
    TargetSid: 'S-1-5-21-1-1001',
  }),
  'system-service-installed': event('Service Control Manager', 'System', 7045, {
    ServiceName: 'AcmeSvc',
    ImagePath: 'C:\\Temp\\svc.exe',
    ServiceType: 'user mode service',
    StartType: 'demand start',
    AccountName: 'LocalSystem',
  }),
  'taskscheduler-task-deleted': event(
    'Microsoft-Windows-TaskScheduler',
    'Microsoft-Windows-TaskScheduler/Operational',
    141,
    { TaskName: '\\AcmeTask', UserName: 'PC1\\admin' },
  ),
  'powershell-script-block': event(
    'Microsoft-Windows-PowerShell',
    'Microsoft-Windows-PowerShell/Operational',
    4104,
    {
      MessageNumber: '1',
      MessageTotal: '1',
      ScriptBlockText: 'Write-Host etm',
      ScriptBlockId: '{2}',
      Path: 'C:\\Temp\\a.ps1',
    },
  ),
  'wmi-activity-binding': event(
    'Microsoft-Windows-WMI-Activity',
    'Microsoft-Windows-WMI-Activity/Operational',
    5861,
    {
      Namespace: '//./root/subscription',
      ESS: 'AcmeFilter',
      CONSUMER: 'CommandLineEventConsumer="AcmeConsumer"',
      PossibleCause:
        'Binding EventFilter: instance of __EventFilter { Name = "AcmeFilter"; Query = "SELECT ..."; }',
    },
  ),
};

describe('rules no real capture here exercises', () => {
  for (const [id, documented] of Object.entries(DOCUMENTED)) {
    it(`${id} recognises its event (built from the documented schema; no real capture here has one), with every required fact`, async () => {
      const rules = await loadWindowsRules();
      const rule = rules.find((r) => r.id === id);
      expect(rule?.notExercisedHere).toBe(true);
      expect(rule?.documentedSchema).toBeDefined();
      const matched = new WindowsRuleIndex(rules).match(documented).map((r) => r.id);
      expect(matched.filter((m) => !m.startsWith('sysmon-hash-'))).toEqual([id]);
      if (rule === undefined) return;
      expect(absentRequired(rule, extractWindowsFacts(rule, documented))).toEqual([]);
    });
  }
});

describe('facts', () => {
  it('Sysmon 1 gives its hashes (MD5, SHA-1, SHA-256, IMPHASH) as facts and MD5, SHA and IMPHASH sub-categories', async () => {
    const rules = await loadWindowsRules();
    const e = event(...SYSMON, 1, {
      ...BASE,
      Image: 'C:\\Windows\\System32\\sc.exe',
      CommandLine: 'sc config Fax',
      ParentProcessId: '8692',
      Hashes:
        'SHA1=937FAB1F3A34287C44B11C3CB18A964FF6C84983,MD5=E46C638010C25479F66BACBE8596CA76,SHA256=39C59C362649090B4D34E5C8221C6E86552C07FE2DF3478D591A68B70917BC0A,IMPHASH=35A7FFDE18D444A92D32C8B2879450FF',
    });
    const matched = new WindowsRuleIndex(rules).match(e);
    expect(matched.map((r) => r.subCategory)).toEqual([
      'process-creation',
      'md5',
      'sha',
      'imphash',
    ]);
    const [creation] = matched;
    expect(creation && extractWindowsFacts(creation, e)).toEqual({
      pid: 4242,
      ppid: 8692,
      executable: 'C:\\Windows\\System32\\sc.exe',
      args: 'sc config Fax',
      processGuid: '{1}',
      md5: 'E46C638010C25479F66BACBE8596CA76',
      sha1: '937FAB1F3A34287C44B11C3CB18A964FF6C84983',
      sha256: '39C59C362649090B4D34E5C8221C6E86552C07FE2DF3478D591A68B70917BC0A',
      imphash: '35A7FFDE18D444A92D32C8B2879450FF',
    });
  });

  it('Security 4688 process ids are read as hex, 4624 gives its logon type, Sysmon 10 its granted access', async () => {
    const rules = await loadWindowsRules();
    const index = new WindowsRuleIndex(rules);
    const facts = (e: WindowsEvent) => {
      const [rule] = index.match(e);
      return rule === undefined ? undefined : extractWindowsFacts(rule, e);
    };
    expect(
      facts(
        event(...SECURITY, 4688, {
          NewProcessId: '0xc28',
          ProcessId: '0x21f4',
          NewProcessName: 'C:\\x.exe',
          CommandLine: '-',
        }),
      ),
    ).toEqual({ pid: 3112, ppid: 8692, executable: 'C:\\x.exe' });
    expect(
      facts(event(...SECURITY, 4624, { TargetUserName: 'pgustavo', LogonType: '3' })),
    ).toMatchObject({ logonType: 3 });
    expect(
      facts(
        event(...SYSMON, 10, {
          SourceProcessId: '1',
          TargetProcessId: '2',
          GrantedAccess: '0x1410',
        }),
      ),
    ).toMatchObject({ pid: 1, targetPid: 2, grantedAccess: '0x1410' });
  });

  it('Security 5156 is TCP for protocol 6, UDP for 17, and nothing for ICMP (1)', async () => {
    const index = new WindowsRuleIndex(await loadWindowsRules());
    const sub = (protocol: string) =>
      index
        .match(event(...SECURITY, 5156, { Protocol: protocol, DestPort: '80', SourcePort: '5000' }))
        .map((r) => r.subCategory);
    expect([sub('6'), sub('17'), sub('1')]).toEqual([['tcp-connection'], ['udp-connection'], []]);
  });

  it('a Sysmon 12 whose own EventType was lost (NXLog without Message) is claimed by no registry rule', async () => {
    const index = new WindowsRuleIndex(await loadWindowsRules());
    expect(
      index.match(event(...SYSMON, 12, { ...BASE, TargetObject: 'HKLM\\SOFTWARE\\Acme' })),
    ).toEqual([]);
  });

  it('a rule applies only to its own source: a Security 4688 forwarded under another channel is not Sysmon', async () => {
    const index = new WindowsRuleIndex(await loadWindowsRules());
    expect(index.match(event('Acme-EDR', 'Acme/Operational', 1, { Image: 'C:\\x.exe' }))).toEqual(
      [],
    );
  });
});
