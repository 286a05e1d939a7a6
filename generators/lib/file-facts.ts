import { createHash } from 'node:crypto';
import { ssdeep } from '../../scripts/lib/ssdeep.ts';

/** Shannon entropy in bits per byte (0 for empty or constant data, 8 for uniform bytes). */
function shannonEntropy(data: Uint8Array): number {
  if (data.length === 0) return 0;
  const counts = new Array<number>(256).fill(0);
  for (const byte of data) counts[byte] = (counts[byte] ?? 0) + 1;
  let entropy = 0;
  for (const count of counts) {
    if (count === 0) continue;
    const p = count / data.length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

/** Content facts an EDR may compute for a file: size, hashes (incl. ssdeep), entropy, first 16 bytes. */
export function contentFacts(data: Uint8Array): {
  size: number;
  sha256: string;
  sha1: string;
  md5: string;
  ssdeep: string;
  entropy: number;
  headerHex: string;
} {
  const hash = (algorithm: string) => createHash(algorithm).update(data).digest('hex');
  return {
    size: data.length,
    sha256: hash('sha256'),
    sha1: hash('sha1'),
    md5: hash('md5'),
    ssdeep: ssdeep(data),
    // Rounded so the JSON stays readable; 1e-6 is far below any EDR's reporting precision.
    entropy: Math.round(shannonEntropy(data) * 1e6) / 1e6,
    headerHex: Buffer.from(data.subarray(0, 16)).toString('hex'),
  };
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** dev_t as "major:minor" (glibc's gnu_dev_major/minor encoding). */
export function deviceString(dev: number): string {
  const d = BigInt(dev);
  const major = ((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn);
  const minor = (d & 0xffn) | ((d >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}
