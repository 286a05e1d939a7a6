/**
 * The generator run manifest: the ground truth of what a generator did on a host, written so that
 * an evidence tool can match captured EDR events against it by exact keys (pid, operation, path,
 * name, address) before falling back to time.
 *
 * One schema file for the concept; every type comes from `z.infer`. Bump `MANIFEST_SCHEMA_VERSION`
 * on any change that makes an older manifest invalid or changes a field's meaning.
 */
import { z } from 'zod';
import linuxMatrix from '../data/matrices/linux.json' with { type: 'json' };
import { type DataIssue, formatIssue, parseData } from '../scoring/issues.ts';
import { parseJsonText } from '../scoring/json-file.ts';

export const MANIFEST_SCHEMA_VERSION = 1;

/**
 * Linux sub-category ids, read from the taxonomy in data/ (their one home), so a manifest names
 * nothing the taxonomy does not know.
 */
export const LINUX_SUB_CATEGORY_IDS = linuxMatrix.categories.flatMap((category) =>
  category.subCategories.map((sub) => sub.id),
) as [string, ...string[]];
export const SubCategoryIdSchema = z.enum(LINUX_SUB_CATEGORY_IDS);
export type SubCategoryId = z.infer<typeof SubCategoryIdSchema>;

/** Outcome of one generator run. `not-possible`: the host cannot do it (no cron, no modules...). */
const RUN_STATUSES = ['ok', 'failed', 'not-possible'] as const;
const RunStatusSchema = z.enum(RUN_STATUSES);

const isoTime = z.iso.datetime({ offset: false, precision: 3 });
/** Nanoseconds as a decimal string: JSON numbers lose precision above 2^53. */
const nanoseconds = z.string().regex(/^\d+$/, 'expected nanoseconds as a decimal string');
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex characters');
const md5 = z.string().regex(/^[0-9a-f]{32}$/, 'expected 32 lowercase hex characters');
const hex = z.string().regex(/^([0-9a-f]{2})*$/, 'expected lowercase hex bytes');
const pid = z.number().int().positive();
const id = z.number().int().nonnegative();

/** A bit mask as the kernel saw it plus the symbolic names of the bits set, e.g. MFD_CLOEXEC. */
const FlagsSchema = z.strictObject({
  value: z.number().int().nonnegative(),
  names: z.array(z.string()),
});

/** Moments of an action on three clocks so events can be lined up with any sensor's clock. */
export const TimestampSchema = z.strictObject({
  /** Wall clock, ISO 8601 UTC with milliseconds. */
  time: isoTime,
  /** Wall clock (CLOCK_REALTIME), nanoseconds since the Unix epoch. */
  realtimeNs: nanoseconds,
  /** CLOCK_MONOTONIC nanoseconds (what bpf_ktime_get_ns returns). */
  monotonicNs: nanoseconds,
  /** CLOCK_BOOTTIME nanoseconds (monotonic plus time suspended; bpf_ktime_get_boot_ns). */
  boottimeNs: nanoseconds,
});

/** The process that performed an action, read from /proc at the time of the action. */
const ActorSchema = z.strictObject({
  pid,
  ppid: id,
  /** Thread id that made the call when it differs from pid (ptrace is per thread). */
  tid: pid.optional(),
  uid: id,
  euid: id,
  gid: id,
  egid: id,
  /** /proc/<pid>/comm: the kernel's 15-character task name. */
  comm: z.string(),
  /** /proc/<pid>/exe target. */
  executable: z.string(),
});
export type Actor = z.infer<typeof ActorSchema>;

/** A file the generator wrote or read, with the content facts an EDR may compute. */
const FileFactsSchema = z.strictObject({
  path: z.string().startsWith('/'),
  /** Size in bytes. */
  size: z.number().int().nonnegative(),
  sha256: sha256,
  md5: md5,
  /** SHA-1 of the content, lowercase hex. */
  sha1: z.string().regex(/^[0-9a-f]{40}$/),
  /** ssdeep fuzzy hash (blocksize:digest:digest), as libfuzzy/the ssdeep tool computes it. */
  ssdeep: z
    .string()
    .regex(/^\d+:[A-Za-z0-9+/]*:[A-Za-z0-9+/]*$/, 'expected blocksize:digest:digest'),
  /** Shannon entropy of the whole content in bits per byte, 0 to 8. */
  entropy: z.number().min(0).max(8),
  /** First (up to) 16 bytes, lowercase hex. */
  headerHex: hex.max(32),
  /** What the content is meant to look like: elf, zip, xz, gzip, pdf, random, ascii... */
  kind: z.string().optional(),
  inode: id.optional(),
  /** st_dev of the file, as major:minor. */
  device: z.string().optional(),
  /** Permission bits, e.g. 0o644 as 420. */
  mode: z.number().int().nonnegative().optional(),
});
export type FileFacts = z.infer<typeof FileFactsSchema>;

/** A process started by an action: what to look for as a process-creation/termination event. */
const ChildProcessSchema = z.strictObject({
  pid,
  /** Pid of the process that forked it (the actor, unless noted). */
  ppid: id,
  /** Executable as passed to exec (may be /proc/self/fd/N or a memfd). */
  executable: z.string(),
  /** Executable the kernel resolved after exec (/proc/<pid>/exe), e.g. "/memfd:name (deleted)". */
  resolvedExecutable: z.string().optional(),
  argv: z.array(z.string()),
  uid: id.optional(),
  /** Exit status when it exited normally. */
  exitCode: z.number().int().nullable(),
  /** Signal name when it was killed, e.g. SIGTERM. */
  signal: z.string().nullable(),
});
export type ChildProcess = z.infer<typeof ChildProcessSchema>;

const NetworkFactsSchema = z.strictObject({
  protocol: z.enum(['tcp', 'udp']),
  family: z.enum(['ipv4', 'ipv6']),
  localAddress: z.string(),
  localPort: z.number().int().min(0).max(65535),
  remoteAddress: z.string().optional(),
  remotePort: z.number().int().min(0).max(65535).optional(),
  /** Bytes sent on this socket by this action. */
  bytesSent: z.number().int().nonnegative().optional(),
  bytesReceived: z.number().int().nonnegative().optional(),
  /**
   * Who opened the flow, seen from the actor: `outbound` for connect and sendto (local = this
   * end, remote = the peer it dialled), `inbound` for accept and a datagram received (local = the
   * listening or receiving port, remote = the peer that came in). Absent on listen and bind.
   */
  direction: z.enum(['outbound', 'inbound']).optional(),
});

const DnsFactsSchema = z.strictObject({
  /** Query name without trailing dot. */
  name: z.string(),
  /** Record type: A, AAAA, TXT... */
  type: z.string(),
  server: z.string(),
  serverPort: z.number().int().min(1).max(65535),
  /** Transaction id of the query as the server saw it. */
  transactionId: z.number().int().min(0).max(65535).optional(),
  /** Source port of the query as the server saw it. */
  clientPort: z.number().int().min(0).max(65535).optional(),
  answers: z.array(z.string()),
  rcode: z.string().optional(),
});

const UserFactsSchema = z.strictObject({
  name: z.string(),
  uid: id.optional(),
  gid: id.optional(),
  home: z.string().optional(),
  shell: z.string().optional(),
  comment: z.string().optional(),
});

const UnitFactsSchema = z.strictObject({
  name: z.string(),
  path: z.string().startsWith('/'),
  type: z.enum(['service', 'timer']),
  /** Whether systemd was asked to reload its unit files; false when systemd is not PID 1. */
  daemonReload: z.boolean(),
});

const CrontabFactsSchema = z.strictObject({
  user: z.string(),
  /** The spool file cron reads, e.g. /var/spool/cron/crontabs/<user>. */
  spoolPath: z.string().optional(),
  entry: z.string(),
});

const BpfFactsSchema = z.strictObject({
  /** bpf(2) command, e.g. BPF_PROG_LOAD. */
  command: z.string().optional(),
  progType: z.string().optional(),
  progName: z.string().optional(),
  /** Kernel-assigned program id (bpftool prog show id N). */
  progId: id.optional(),
  /** Program tag, 16 hex chars, as bpftool shows it. */
  progTag: hex.optional(),
  instructionCount: id.optional(),
  license: z.string().optional(),
  /** For classic BPF (SO_ATTACH_FILTER): number of sock_filter instructions. */
  classicInstructionCount: id.optional(),
});

/** Memory of another process read or written (ptrace, process_vm_readv/writev). */
const MemoryFactsSchema = z.strictObject({
  targetPid: pid,
  /** Remote address as 0x-prefixed hex. */
  address: z.string().regex(/^0x[0-9a-f]+$/),
  length: id,
  /** Bytes read or written, lowercase hex. */
  bytesHex: hex.optional(),
});

const BlockDeviceFactsSchema = z.strictObject({
  path: z.string().startsWith('/dev/'),
  /** major:minor */
  device: z.string(),
  offset: id,
  length: id,
  /** SHA-256 of the bytes read (the bytes themselves are not recorded). */
  sha256: sha256.optional(),
});

/** How a script reached its interpreter. */
const SCRIPT_DELIVERIES = ['argv', 'file', 'stdin', 'pty'] as const;

const ScriptFactsSchema = z.strictObject({
  interpreter: z.string(),
  /**
   * The script text, exactly as the interpreter got it: the `-c` argument, the file's bytes, what
   * was piped to its standard input, or the line typed at the interactive prompt.
   */
  content: z.string(),
  sha256: sha256,
  /**
   * `argv`: on the command line (bash -c, python3 -c); `file`: a file with a shebang executed by
   * path, the kernel starting the interpreter; `stdin`: piped to bash -s / python3 -; `pty`: typed
   * into an interactive bash on a pseudo-terminal, read by readline.
   */
  delivery: z.enum(SCRIPT_DELIVERIES).optional(),
  /** The script file (delivery `file`). */
  path: z.string().startsWith('/').optional(),
  /** Pid of the interpreter process that read the script. */
  pid: pid.optional(),
});

/** A logon attempt as the service that authenticated it saw it. */
const LogonFactsSchema = z.strictObject({
  /** PAM service / program that did the authentication: sshd, su. */
  service: z.string(),
  user: z.string(),
  /** How the user authenticated: publickey, password. */
  authMethod: z.string(),
  outcome: z.enum(['success', 'failure']),
  /** Client end of a network logon, as the server logged it. */
  sourceAddress: z.string().optional(),
  sourcePort: z.number().int().min(1).max(65535).optional(),
  /** Server end of a network logon. */
  destinationAddress: z.string().optional(),
  destinationPort: z.number().int().min(1).max(65535).optional(),
  /** Pid of the server process that handled the connection (sshd's per-connection process). */
  serverPid: pid.optional(),
  /** Pid of the process that ran the session as the user (sshd: "User child is on pid N"). */
  sessionPid: pid.optional(),
  /** Key fingerprint offered (publickey), as ssh-keygen -l prints it: SHA256:... */
  keyFingerprint: z.string().optional(),
  /** The server's own log lines about this attempt, verbatim. */
  serverLog: z.array(z.string()).optional(),
});

const LibraryFactsSchema = z.strictObject({
  path: z.string().startsWith('/'),
  sourcePath: z.string().startsWith('/').optional(),
  /** Start address of the first mapping of the library in the actor, 0x hex. */
  mappedAt: z
    .string()
    .regex(/^0x[0-9a-f]+$/)
    .optional(),
  sha256: sha256.optional(),
  symbol: z.string().optional(),
});

/**
 * Arguments of an action. Every key is optional; an action fills the ones that identify it.
 * Flags always carry both the numeric value and the names.
 */
const ActionArgsSchema = z.strictObject({
  path: z.string().optional(),
  /** Destination of a rename/copy. */
  newPath: z.string().optional(),
  fd: z.number().int().optional(),
  flags: FlagsSchema.optional(),
  mode: z.number().int().nonnegative().optional(),
  /** Name passed to memfd_create; the kernel shows it as "memfd:<name>". */
  memfdName: z.string().optional(),
  /** The /proc path that reaches the memfd, e.g. /proc/<pid>/fd/<n>. */
  memfdPath: z.string().optional(),
  seals: FlagsSchema.optional(),
  /** Bytes written or read by this action. */
  length: id.optional(),
  /** Offset of a write/read in the file. */
  offset: id.optional(),
  /** Content facts of the file after the action. */
  file: FileFactsSchema.optional(),
  argv: z.array(z.string()).optional(),
  /** Environment passed to exec, when it matters. */
  envp: z.array(z.string()).optional(),
  executable: z.string().optional(),
  script: ScriptFactsSchema.optional(),
  network: NetworkFactsSchema.optional(),
  dns: DnsFactsSchema.optional(),
  user: UserFactsSchema.optional(),
  /** Target user of a logon (su). */
  targetUser: z.string().optional(),
  logon: LogonFactsSchema.optional(),
  unit: UnitFactsSchema.optional(),
  crontab: CrontabFactsSchema.optional(),
  bpf: BpfFactsSchema.optional(),
  memory: MemoryFactsSchema.optional(),
  blockDevice: BlockDeviceFactsSchema.optional(),
  library: LibraryFactsSchema.optional(),
  /** ptrace request, signal or other named argument. */
  request: z.string().optional(),
  targetPid: pid.optional(),
  signal: z.string().optional(),
});
export type ActionArgs = z.infer<typeof ActionArgsSchema>;

/** What the kernel (or the command) returned. */
const ActionResultSchema = z.strictObject({
  ok: z.boolean(),
  /** Syscall return value (fd, byte count, pid...) or command exit code. */
  returnValue: z.number().int().optional(),
  /** errno when the call failed. */
  errno: z.number().int().positive().optional(),
  /** errno name, e.g. EINVAL. */
  errnoName: z.string().optional(),
  /** Human-readable detail: the command's stderr line, why it failed. */
  message: z.string().optional(),
});
export type ActionResult = z.infer<typeof ActionResultSchema>;

/** setup and cleanup actions prepare or undo; `action` ones are what the run exists to produce. */
const ACTION_PHASES = ['setup', 'action', 'cleanup'] as const;

const ActionSchema = z.strictObject({
  /** 1-based order within the run. */
  seq: z.number().int().positive(),
  phase: z.enum(ACTION_PHASES),
  /** Sub-categories an EDR should report for this action; empty for pure bookkeeping. */
  subCategories: z.array(SubCategoryIdSchema),
  /** Syscall or operation name: memfd_create, execveat, openat, useradd, dns-query... */
  operation: z.string().min(1),
  /** How it was done: a direct syscall, a libc/Node call, or a command run as a child. */
  via: z.enum(['syscall', 'node', 'command']),
  /** Start of the action (taken just before the call). */
  at: TimestampSchema,
  /** How long the action took (CLOCK_MONOTONIC), so events can be matched within [at, at + duration]. */
  durationNs: nanoseconds,
  actor: ActorSchema,
  args: ActionArgsSchema,
  /** Processes this action started (execs, commands), with their pids. */
  children: z.array(ChildProcessSchema).optional(),
  /**
   * Whether the generator wanted this call to succeed. `failure` marks deliberate refusals
   * (failed logon, a flag combination the kernel must reject); `either` when both are valid.
   */
  expect: z.enum(['success', 'failure', 'either']),
  result: ActionResultSchema,
  note: z.string().optional(),
});
export type Action = z.infer<typeof ActionSchema>;

export const RunSchema = z.strictObject({
  /** Unique id, also the tag in every artifact name (temp dirs, users, units): etm-<8 hex>. */
  runId: z.string().regex(/^etm-[0-9a-f]{8}$/),
  generator: z.string().regex(/^[a-z0-9_]+$/),
  /** 1-based repetition number with --repeat. */
  iteration: z.number().int().positive(),
  subCategories: z.array(SubCategoryIdSchema),
  startTime: isoTime,
  endTime: isoTime,
  status: RunStatusSchema,
  /** Why the run failed or was not possible, and what to do about it. */
  reason: z.string().optional(),
  /** Credentials the generator ran with (root generators run as root, the rest as nobody). */
  ranAs: z.strictObject({ uid: id, gid: id, user: z.string() }),
  /** The temp dir it made (removed at the end), when it made one. */
  tempDir: z.string().optional(),
  actions: z.array(ActionSchema),
  /** Artifacts still present after cleanup; empty when the host is as it was. */
  leftovers: z.array(z.string()),
});
export type Run = z.infer<typeof RunSchema>;

const HostSchema = z.strictObject({
  hostname: z.string(),
  /** uname -r */
  kernelRelease: z.string(),
  /** uname -v */
  kernelVersion: z.string(),
  arch: z.string(),
  distro: z.strictObject({ id: z.string(), name: z.string(), version: z.string() }),
  /** /proc/sys/kernel/random/boot_id: changes each boot, ties events to this boot. */
  bootId: z.string(),
  machineId: z.string().optional(),
  /** comm of PID 1: systemd, init, or something else in containers/VMs. */
  pid1: z.string(),
  /** One reading of all clocks, to convert between them. */
  clocks: TimestampSchema,
});
export type Host = z.infer<typeof HostSchema>;

const ManifestSchema = z.strictObject({
  schemaVersion: z.literal(MANIFEST_SCHEMA_VERSION),
  tool: z.strictObject({ name: z.string(), version: z.string(), node: z.string() }),
  createdAt: isoTime,
  host: HostSchema,
  invocation: z.strictObject({
    argv: z.array(z.string()),
    pid,
    uid: id,
    repeat: z.number().int().positive(),
  }),
  runs: z.array(RunSchema),
});
export type Manifest = z.infer<typeof ManifestSchema>;

/** Thrown by `parseManifest` with every problem listed, one per line, each with its dot path. */
export class ManifestError extends Error {
  override name = 'ManifestError';
  readonly issues: readonly DataIssue[];
  constructor(source: string, issues: readonly DataIssue[]) {
    super(
      `${source} is not a valid generator manifest (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n` +
        issues.map((issue) => `  ${formatIssue(issue)}`).join('\n'),
    );
    this.issues = issues;
  }
}

/**
 * Validates a manifest (already JSON-parsed, or a JSON string) and returns it typed.
 * Throws `ManifestError` naming the source, each dot path and the problem.
 * @example parseManifest(readFileSync('m.json', 'utf8'), 'm.json')
 */
export function parseManifest(input: unknown, source = 'manifest'): Manifest {
  let value = input;
  if (typeof input === 'string') {
    // The data files' reader: a key written twice is refused here too, not silently dropped.
    const json = parseJsonText(input, source);
    if (!json.ok) throw new ManifestError(source, json.issues);
    value = json.value;
  }
  if (
    typeof value === 'object' &&
    value !== null &&
    'schemaVersion' in value &&
    value.schemaVersion !== MANIFEST_SCHEMA_VERSION
  ) {
    throw new ManifestError(source, [
      {
        file: source,
        path: 'schemaVersion',
        message: `this tool reads version ${MANIFEST_SCHEMA_VERSION}, the file has ${JSON.stringify(value.schemaVersion)}; regenerate it with npm run generate`,
      },
    ]);
  }
  const parsed = parseData(ManifestSchema, value, source);
  if (parsed.ok) return parsed.data;
  throw new ManifestError(source, parsed.issues);
}
