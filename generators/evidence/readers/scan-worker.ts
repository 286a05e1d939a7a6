/**
 * A worker thread of a parallel capture read (`parallel.ts`): compiles the rules it is sent, then
 * parses and scans each batch of lines with a fresh chunk scan and answers with its snapshot and
 * counts, which the reading thread merges in file order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type ScanSnapshot, scanBatch, scanPlan } from '../matcher.ts';
import { compileRule, type RuleSets } from '../rule-engine.ts';
import type { Rule } from '../rules.schema.ts';
import type { Target } from '../targets.ts';
import { type EventCounts, INPUT_FORMATS } from './capture.ts';
import type { Batch, Reply } from './parallel.ts';

/** What the reading thread sends each worker once (plain data: compiled rules hold functions). */
export interface ScanWorkerInit {
  source: string;
  format: 'ecs' | 'laurel';
  rules: Record<(typeof INPUT_FORMATS)[number], (Rule & { percent: boolean })[]>;
  targets: Target[];
  skewMs: number;
  generatorPids: number[] | undefined;
}

export interface ScanWorkerResult {
  counts: EventCounts;
  scan: ScanSnapshot;
}

const port = parentPort;
if (port !== null) {
  const init = workerData as ScanWorkerInit;
  const rules = Object.fromEntries(
    INPUT_FORMATS.map((f) => [f, init.rules[f].map((r) => compileRule(r, r.percent))]),
  ) as RuleSets;
  const plan = scanPlan(
    rules,
    init.targets,
    init.skewMs,
    init.generatorPids === undefined ? undefined : new Set(init.generatorPids),
  );
  port.on('message', (batch: Batch) => {
    try {
      const reply: Reply<ScanWorkerResult> = {
        seq: batch.seq,
        result: scanBatch(plan, init, batch),
        bytes: batch.bytes,
      };
      port.postMessage(reply, [batch.bytes.buffer as ArrayBuffer]);
    } catch (error) {
      port.postMessage({ seq: batch.seq, error: (error as Error).stack ?? String(error) });
    }
  });
}
