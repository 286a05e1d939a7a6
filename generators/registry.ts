/** Every generator, in the order `all` runs them. */
import { dnsQuery } from './activities/dns-query.ts';
import { fileActivity } from './activities/file-activity.ts';
import { fileMetadata } from './activities/file-metadata.ts';
import { memfdCreateExec } from './activities/memfd-create-exec.ts';
import { networkLoopback } from './activities/network-loopback.ts';
import { processLifecycle } from './activities/process-lifecycle.ts';
import { scriptContent } from './activities/script-content.ts';
import type { Generator } from './generator.types.ts';

export const GENERATORS: readonly Generator[] = [
  memfdCreateExec,
  fileMetadata,
  processLifecycle,
  fileActivity,
  scriptContent,
  networkLoopback,
  dnsQuery,
];

export function findGenerator(name: string): Generator | undefined {
  return GENERATORS.find((g) => g.name === name);
}
