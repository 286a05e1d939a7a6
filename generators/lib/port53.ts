/**
 * Sensors recognise DNS by port 53, which only root may bind by default. A generator dropped from
 * root to nobody cannot, so the root parent lowers net.ipv4.ip_unprivileged_port_start to 53 for
 * that one run and puts it back afterwards.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const PORT_START = '/proc/sys/net/ipv4/ip_unprivileged_port_start';

/** Lets unprivileged processes bind port 53 until the returned undo runs; a no-op where it cannot. */
export function allowUnprivilegedPort53(log: (line: string) => void): () => void {
  let before: string;
  try {
    before = readFileSync(PORT_START, 'utf8').trim();
  } catch {
    return () => {};
  }
  if (Number(before) <= 53) return () => {};
  try {
    writeFileSync(PORT_START, '53');
  } catch (error) {
    log(
      `could not lower net.ipv4.ip_unprivileged_port_start to 53 (${(error as Error).message}); the DNS server uses an ephemeral port`,
    );
    return () => {};
  }
  log(`net.ipv4.ip_unprivileged_port_start: ${before} → 53 for this run`);
  return () => {
    writeFileSync(PORT_START, before);
    log(`net.ipv4.ip_unprivileged_port_start: restored to ${before}`);
  };
}
