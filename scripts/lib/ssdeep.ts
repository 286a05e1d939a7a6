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

// Uint32Array, not an Array: sizes above 2^31 would make the Array hold doubles and every h % bs a
// floating-point modulo in the hot loop.
const BLOCK_SIZES = Uint32Array.from({ length: NUM_BLOCKHASHES }, (_, i) => MIN_BLOCKSIZE * 2 ** i);
const blockSize = (i: number) => BLOCK_SIZES[i] as number;
const b64 = (h: number) => B64[h % 64] as string;

/** The ssdeep fuzzy hash of `data`. */
export function ssdeep(data: Uint8Array): string {
  const total = data.length;
  // The hot loop works on typed arrays (the agent hashes files with it): about 8x the object form.
  const window = new Uint8Array(ROLLING_WINDOW);
  let w = 0;
  let h1 = 0;
  let h2 = 0;
  let h3 = 0;
  const hs = new Uint32Array(NUM_BLOCKHASHES);
  const halfhs = new Uint32Array(NUM_BLOCKHASHES);
  const bh: BlockHash[] = [{ h: HASH_INIT, halfh: HASH_INIT, digest: [], dindex: 0 }];
  hs[0] = HASH_INIT;
  halfhs[0] = HASH_INIT;
  let bhstart = 0;
  let bhend = 1;
  let lasth = 0;
  let needLastHash = false;

  const forkBlockHash = () => {
    if (bhend < NUM_BLOCKHASHES) {
      hs[bhend] = hs[bhend - 1] as number;
      halfhs[bhend] = halfhs[bhend - 1] as number;
      bh[bhend] = { h: 0, halfh: 0, digest: [], dindex: 0 };
      bhend++;
    } else if (bhend === NUM_BLOCKHASHES && !needLastHash) {
      needLastHash = true;
      lasth = hs[bhend - 1] as number;
    }
  };
  const reduceBlockHash = () => {
    if (bhend - bhstart < 2) return;
    if (blockSize(bhstart) * SPAMSUM_LENGTH >= total) return;
    if ((bh[bhstart + 1] as BlockHash).dindex < SPAMSUM_LENGTH / 2) return;
    bhstart++;
  };

  for (let k = 0; k < total; k++) {
    const c = data[k] as number;
    h2 = (h2 - h1 + ROLLING_WINDOW * c) >>> 0;
    h1 = (h1 + c - (window[w] as number)) >>> 0;
    window[w] = c;
    w = w === ROLLING_WINDOW - 1 ? 0 : w + 1;
    h3 = ((h3 << 5) ^ c) >>> 0;
    const h = (h1 + h2 + h3) >>> 0;

    for (let i = bhstart; i < bhend; i++) {
      hs[i] = Math.imul(hs[i] as number, HASH_PRIME) ^ c;
      halfhs[i] = Math.imul(halfhs[i] as number, HASH_PRIME) ^ c;
    }
    for (let i = bhstart; i < bhend; i++) {
      const bs = BLOCK_SIZES[i] as number;
      if (h % bs !== bs - 1) break;
      const b = bh[i] as BlockHash;
      if (b.dindex === 0) forkBlockHash();
      b.digest[b.dindex] = b64(hs[i] as number);
      if (b.dindex < SPAMSUM_LENGTH - 1) {
        b.dindex++;
        b.digest.length = b.dindex;
        hs[i] = HASH_INIT;
        if (b.dindex < SPAMSUM_LENGTH / 2) halfhs[i] = HASH_INIT;
      } else {
        reduceBlockHash();
      }
    }
  }
  for (let i = 0; i < bhend; i++) {
    const b = bh[i] as BlockHash;
    b.h = hs[i] as number;
    b.halfh = halfhs[i] as number;
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
