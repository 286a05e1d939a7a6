/** Every generator, in the order `all` runs them. */
import { dnsQuery } from './activities/dns-query.ts';
import { driverLoad } from './activities/driver-load.ts';
import { ebpfProgram } from './activities/ebpf-program.ts';
import { fileActivity } from './activities/file-activity.ts';
import { fileMetadata } from './activities/file-metadata.ts';
import { imageLoad } from './activities/image-load.ts';
import { logon } from './activities/logon.ts';
import { memfdCreateExec } from './activities/memfd-create-exec.ts';
import { networkLoopback } from './activities/network-loopback.ts';
import { processLifecycle } from './activities/process-lifecycle.ts';
import { processAccess, processTampering } from './activities/process-memory.ts';
import { rawAccessRead } from './activities/raw-access-read.ts';
import { scheduledTask } from './activities/scheduled-task.ts';
import { scriptContent } from './activities/script-content.ts';
import { serviceUnit } from './activities/service-unit.ts';
import { sshLogon } from './activities/ssh-logon.ts';
import { userAccount } from './activities/user-account.ts';
import type { Generator } from './generator.types.ts';

export const GENERATORS: readonly Generator[] = [
  memfdCreateExec,
  fileMetadata,
  processLifecycle,
  fileActivity,
  scriptContent,
  networkLoopback,
  dnsQuery,
  imageLoad,
  processAccess,
  processTampering,
  ebpfProgram,
  rawAccessRead,
  userAccount,
  logon,
  sshLogon,
  serviceUnit,
  scheduledTask,
  driverLoad,
];

export function findGenerator(name: string): Generator | undefined {
  return GENERATORS.find((g) => g.name === name);
}
