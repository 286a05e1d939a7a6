/**
 * ssdeep (spamsum) context-triggered piecewise hash, as libfuzzy's fuzzy_hash_buf() with no flags
 * computes it (ssdeep 2.14): `blocksize:digest:digest-at-double-blocksize`. A test checks it
 * against the ssdeep program.
 */

const ROLLING_WINDOW = 7;
const MIN_BLOCKSIZE = 3;
const HASH_PRIME = 0x01000193;
const HASH_INIT = 0x28021967;
const NUM_BLOCKHASHES = 31;
const SPAMSUM_LENGTH = 64;
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

interface BlockHash {
  h: number;
  halfh: number;
  digest: string[];
  dindex: number;
}

const blockSize = (i: number) => MIN_BLOCKSIZE * 2 ** i;
const sumHash = (c: number, h: number) => (Math.imul(h, HASH_PRIME) ^ c) >>> 0;
const b64 = (h: number) => B64[h % 64] as string;

/** The ssdeep fuzzy hash of `data`. */
export function ssdeep(data: Uint8Array): string {
  const total = data.length;
  const window = new Array<number>(ROLLING_WINDOW).fill(0);
  let h1 = 0;
  let h2 = 0;
  let h3 = 0;
  let n = 0;
  const bh: BlockHash[] = [{ h: HASH_INIT, halfh: HASH_INIT, digest: [], dindex: 0 }];
  let bhstart = 0;
  let bhend = 1;
  let lasth = 0;
  let needLastHash = false;

  const forkBlockHash = () => {
    const old = bh[bhend - 1] as BlockHash;
    if (bhend < NUM_BLOCKHASHES) {
      bh[bhend] = { h: old.h, halfh: old.halfh, digest: [], dindex: 0 };
      bhend++;
    } else if (bhend === NUM_BLOCKHASHES && !needLastHash) {
      needLastHash = true;
      lasth = old.h;
    }
  };
  const reduceBlockHash = () => {
    if (bhend - bhstart < 2) return;
    if (blockSize(bhstart) * SPAMSUM_LENGTH >= total) return;
    if ((bh[bhstart + 1] as BlockHash).dindex < SPAMSUM_LENGTH / 2) return;
    bhstart++;
  };

  for (const c of data) {
    h2 = (h2 - h1 + ROLLING_WINDOW * c) >>> 0;
    h1 = (h1 + c - (window[n % ROLLING_WINDOW] as number)) >>> 0;
    window[n % ROLLING_WINDOW] = c;
    n++;
    h3 = ((h3 << 5) ^ c) >>> 0;
    const h = (h1 + h2 + h3) >>> 0;

    for (let i = bhstart; i < bhend; i++) {
      const b = bh[i] as BlockHash;
      b.h = sumHash(c, b.h);
      b.halfh = sumHash(c, b.halfh);
    }
    for (let i = bhstart; i < bhend; i++) {
      const bs = blockSize(i);
      if (h % bs !== bs - 1) break;
      const b = bh[i] as BlockHash;
      if (b.dindex === 0) forkBlockHash();
      b.digest[b.dindex] = b64(b.h);
      if (b.dindex < SPAMSUM_LENGTH - 1) {
        b.dindex++;
        b.digest.length = b.dindex;
        b.h = HASH_INIT;
        if (b.dindex < SPAMSUM_LENGTH / 2) b.halfh = HASH_INIT;
      } else {
        reduceBlockHash();
      }
    }
  }

  const roll = (h1 + h2 + h3) >>> 0;
  let bi = bhstart;
  while (blockSize(bi) * SPAMSUM_LENGTH < total) {
    bi++;
    if (bi >= NUM_BLOCKHASHES) throw new Error('Input too large for ssdeep.');
  }
  while (bi >= bhend) bi--;
  while (bi > bhstart && (bh[bi] as BlockHash).dindex < SPAMSUM_LENGTH / 2) bi--;

  const first = bh[bi] as BlockHash;
  let out = `${blockSize(bi)}:${first.digest.slice(0, first.dindex).join('')}`;
  if (roll !== 0) out += b64(first.h);
  else if (first.digest[first.dindex] !== undefined) out += first.digest[first.dindex];
  out += ':';
  if (bi < bhend - 1) {
    const second = bh[bi + 1] as BlockHash;
    out += second.digest.slice(0, Math.min(second.dindex, SPAMSUM_LENGTH / 2 - 1)).join('');
    if (roll !== 0) out += b64(second.halfh);
  } else if (roll !== 0) {
    out += bi === 0 ? b64(first.h) : b64(lasth);
  }
  return out;
}
