/**
 * An independent PNG reader for the preview tests: walks the chunks, checks every CRC with
 * node:zlib's crc32, inflates the IDAT stream with node:zlib and undoes the row filters. It shares
 * no code with the renderer (resvg) or the encoder (src/lib/og/png.ts), so a broken image fails here.
 */
import { crc32, inflateSync } from 'node:zlib';

export interface DecodedPng {
  width: number;
  height: number;
  /** 2 = RGB, 3 = indexed, 6 = RGBA (the types the cards could use). */
  colourType: number;
  /** Every pixel as 0xRRGGBB, row by row. */
  pixels: Uint32Array;
}

const SIGNATURE = '89504e470d0a1a0a';

/** Decodes an 8-bit, non-interlaced PNG; throws with the reason when the file is not one. */
export function decodePng(file: Uint8Array): DecodedPng {
  const buf = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (buf.subarray(0, 8).toString('hex') !== SIGNATURE) throw new Error('not a PNG signature');
  let at = 8;
  let header: Buffer | undefined;
  let palette: Buffer | undefined;
  const idat: Buffer[] = [];
  let ended = false;
  while (at < buf.length) {
    const length = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    const data = buf.subarray(at + 8, at + 8 + length);
    const crc = buf.readUInt32BE(at + 8 + length);
    if (crc32(buf.subarray(at + 4, at + 8 + length)) !== crc) throw new Error(`bad CRC in ${type}`);
    if (type === 'IHDR') header = data;
    else if (type === 'PLTE') palette = data;
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') ended = true;
    at += 12 + length;
  }
  if (!header || !ended || idat.length === 0) throw new Error('missing IHDR, IDAT or IEND');
  const width = header.readUInt32BE(0);
  const height = header.readUInt32BE(4);
  const [depth, colourType, , , interlace] = header.subarray(8);
  if (depth !== 8 || interlace !== 0)
    throw new Error(`unsupported depth ${depth}/interlace ${interlace}`);
  const channels = colourType === 3 ? 1 : colourType === 2 ? 3 : colourType === 6 ? 4 : 0;
  if (channels === 0) throw new Error(`unsupported colour type ${colourType}`);
  if (colourType === 3 && !palette) throw new Error('indexed PNG without PLTE');
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  if (raw.length !== height * (stride + 1))
    throw new Error(`IDAT holds ${raw.length} bytes; ${height * (stride + 1)} expected`);
  const rows = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let i = 0; i < stride; i++) {
      const x = raw[y * (stride + 1) + 1 + i] ?? 0;
      const a = i >= channels ? (rows[y * stride + i - channels] ?? 0) : 0;
      const b = y > 0 ? (rows[(y - 1) * stride + i] ?? 0) : 0;
      const c = y > 0 && i >= channels ? (rows[(y - 1) * stride + i - channels] ?? 0) : 0;
      let predicted: number;
      if (filter === 0) predicted = 0;
      else if (filter === 1) predicted = a;
      else if (filter === 2) predicted = b;
      else if (filter === 3) predicted = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else throw new Error(`row ${y} has unknown filter ${filter}`);
      rows[y * stride + i] = (x + predicted) & 0xff;
    }
  }
  const pixels = new Uint32Array(width * height);
  for (let p = 0; p < pixels.length; p++) {
    if (colourType === 3) {
      const index = rows[p] ?? 0;
      if (!palette || index * 3 + 2 >= palette.length)
        throw new Error(`palette index ${index} out of range`);
      pixels[p] = palette.readUIntBE(index * 3, 3);
    } else {
      const o = p * channels;
      pixels[p] = ((rows[o] ?? 0) << 16) | ((rows[o + 1] ?? 0) << 8) | (rows[o + 2] ?? 0);
    }
  }
  return { width, height, colourType: colourType ?? 0, pixels };
}
