/**
 * Turns decoded records into ECS NDJSON lines. The Enricher owns what every family shares (the
 * process table, the event writer, the loader's hello and stats) and hands each record to its
 * family's enricher in families/<family>/enrich.ts. Unknown kinds never reach here (the frame
 * reader counts them).
 */
import type { Decoded } from './decoders.ts';
import { type EnrichContext, EventWriter, type HostInfo } from './event.ts';
import type { Exclusions } from './exclusions.ts';
import { AuditEnricher } from './families/audit/enrich.ts';
import { DnsEnricher } from './families/dns/enrich.ts';
import { FileEnricher } from './families/file/enrich.ts';
import type { HelloRec, StatsRec } from './families/loader/decode.ts';
import { writeLifecycle } from './families/loader/enrich.ts';
import { NetEnricher } from './families/net/enrich.ts';
import { ProcessEnricher } from './families/process/enrich.ts';
import { ScriptEnricher } from './families/script/enrich.ts';
import { SecurityEnricher } from './families/security/enrich.ts';
import type { ExecHashCache, FileAnalyzer } from './hashes.ts';
import { OutputBuffer } from './output.ts';
import { ProcessTable } from './processes.ts';
import { KnownAccounts, type NameCache } from './users.ts';

export interface EnricherOptions {
  /** Receives the NDJSON output; the caller takes it after each batch. */
  out: OutputBuffer;
  names: NameCache;
  execHashes: ExecHashCache;
  analyzer: FileAnalyzer;
  exclusions: Exclusions;
  host: HostInfo;
  /** Adds the decoded record as event.original. */
  jsonDebug: boolean;
  /** Processes whose records are dropped (the agent itself), besides the loader named in hello. */
  ownPids: ReadonlySet<number>;
  /** The agent's own process, the loader's parent, named on its start and stop events (live only). */
  agentPid?: number;
  /** Seed the process table from this /proc root when the stream starts; undefined = no seeding. */
  procRoot: string | undefined;
  /** Monotonic clock fallback for the boot→wall offset if the stream lacks a hello record. */
  bootToRealNs: () => number;
}

export class Enricher implements EnrichContext {
  readonly events: EventWriter;
  readonly names: NameCache;
  hello: HelloRec | undefined;
  lastStats: StatsRec | undefined;
  private table: ProcessTable | undefined;
  /** The agent_stop event, once the final stats record arrived: always the last event. */
  private stopEvent: (() => void) | undefined;
  private readonly o: EnricherOptions;
  private readonly process: ProcessEnricher;
  private readonly file: FileEnricher;
  private readonly security: SecurityEnricher;
  private readonly net: NetEnricher;
  private readonly dns: DnsEnricher;
  private readonly audit: AuditEnricher;
  private readonly script: ScriptEnricher;

  constructor(o: EnricherOptions) {
    this.o = o;
    this.names = o.names;
    this.events = new EventWriter(
      {
        out: o.out,
        names: o.names,
        exclusions: o.exclusions,
        host: o.host,
        jsonDebug: o.jsonDebug,
        processes: () => this.processes,
      },
      new OutputBuffer(1 << 12),
    );
    const accounts = new KnownAccounts(o.names);
    this.process = new ProcessEnricher(this, o.execHashes);
    this.file = new FileEnricher(this, o.analyzer);
    this.security = new SecurityEnricher(this);
    this.net = new NetEnricher(this);
    this.dns = new DnsEnricher(this, accounts);
    this.audit = new AuditEnricher(this, accounts);
    this.script = new ScriptEnricher(this);
  }

  /** Events written, by event.action. */
  get counts(): ReadonlyMap<string, number> {
    return this.events.counts;
  }

  /** Events dropped by the exclusion rules. */
  get excluded(): number {
    return this.events.excluded;
  }

  get processes(): ProcessTable {
    if (!this.table) this.start(this.o.bootToRealNs());
    return this.table as ProcessTable;
  }

  onRecord(rec: Decoded): void {
    switch (rec.kind) {
      case 'hello':
        this.hello = rec;
        this.start(rec.bootToRealNs);
        writeLifecycle(this.events, rec, rec.loaderPid, this.o.agentPid);
        return;
      case 'stats':
        this.stats(rec);
        return;
      // Not about a task of their own: never the agent's.
      case 'dns_packet':
        this.dns.onRecord(rec);
        return;
      case 'audit_user':
        this.audit.onRecord(rec);
        return;
    }
    if (this.o.ownPids.has(rec.task.pid) || rec.task.pid === this.hello?.loaderPid) return;
    switch (rec.kind) {
      case 'fork':
      case 'exec':
      case 'setsid':
      case 'memfd':
        this.process.onRecord(rec);
        return;
      case 'exit':
        this.file.writerExited(rec.task.pid);
        this.process.onRecord(rec);
        return;
      case 'file_create':
      case 'file_modify':
      case 'file_close':
      case 'image_load':
      case 'file_rename':
      case 'file_unlink':
      case 'raw_access':
        this.file.onRecord(rec);
        return;
      case 'ptrace':
      case 'proc_vm':
      case 'bpf_prog_load':
      case 'cred_change':
      case 'module_load':
        this.security.onRecord(rec);
        return;
      case 'net_connect':
      case 'net_accept':
      case 'net_listen':
      case 'net_state':
        this.net.onRecord(rec);
        return;
      case 'bash_readline':
        this.script.onRecord(rec);
        return;
    }
  }

  /**
   * Call after each batch of records: analyses the files closed in it, and writes agent_stop
   * after them once the final stats record came.
   */
  flushBatch(): void {
    this.file.flushBatch();
    const stop = this.stopEvent;
    this.stopEvent = undefined;
    stop?.();
  }

  /** Emits file events still waiting for a close (end of stream). */
  finish(): void {
    this.audit.tick();
    this.file.finish();
    this.flushBatch();
  }

  private stats(rec: StatsRec): void {
    this.lastStats = rec;
    this.processes.sweep(rec.tsNs);
    this.file.tick(rec.tsNs, rec.final);
    this.audit.tick();
    if (rec.final) {
      this.stopEvent = () =>
        writeLifecycle(this.events, rec, this.hello?.loaderPid ?? 0, this.o.agentPid);
    }
  }

  private start(bootToRealNs: number): void {
    this.events.bootToRealNs = bootToRealNs;
    this.table = new ProcessTable({
      bootId: this.o.host.bootId,
      pidNsIno: this.o.host.pidNsIno,
      bootToRealNs,
    });
    if (this.o.procRoot) this.table.seedFromProc(this.o.procRoot);
  }
}
