/**
 * Files with known content and magic bytes (random, repeating ASCII, ELF, ZIP, XZ, GZIP, PDF) in a
 * fresh temp dir, with the size, hashes, Shannon entropy and header bytes an EDR should report;
 * then one is modified, one renamed, and all are deleted.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { crc32, gzipSync } from 'node:zlib';
import type { Generator } from '../generator.types.ts';
import { flagNames } from '../lib/errno.ts';
import { contentFacts, deviceString } from '../lib/file-facts.ts';
import { requireBin } from '../lib/host.ts';
import type { RunContext } from '../lib/recorder.ts';
import type { FileFacts, SubCategoryId } from '../manifest.schema.ts';

export const OPEN_FLAGS: Record<string, number> = {
  O_WRONLY: constants.O_WRONLY,
  O_RDWR: constants.O_RDWR,
  O_CREAT: constants.O_CREAT,
  O_EXCL: constants.O_EXCL,
  O_TRUNC: constants.O_TRUNC,
  O_APPEND: constants.O_APPEND,
};

/** A real XZ stream of "etm xz fixture\n" (made with xz 5.4; Node has no LZMA encoder). */
const XZ_STREAM =
  'fd377a585a000004e6d6b4460200210116000000742fe5a301000e65746d20787a20666978747572650a000006f9defeeede00630001270fdf1afc6a1fb6f37d010000000004595a';

/** A one-entry ZIP archive with the entry stored (no compression), built by hand. */
function storedZip(name: string, content: Buffer): Buffer {
  const nameBytes = Buffer.from(name);
  const crc = crc32(content);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(10, 4);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(content.length, 18);
  local.writeUInt32LE(content.length, 22);
  local.writeUInt16LE(nameBytes.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(10, 6);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(content.length, 20);
  central.writeUInt32LE(content.length, 24);
  central.writeUInt16LE(nameBytes.length, 28);
  const localSize = local.length + nameBytes.length + content.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + nameBytes.length, 12);
  end.writeUInt32LE(localSize, 16);
  return Buffer.concat([local, nameBytes, content, central, nameBytes, end]);
}

function minimalPdf(text: string): Buffer {
  const stream = `BT /F1 12 Tf 72 720 Td (${text}) Tj ET`;
  return Buffer.from(
    [
      '%PDF-1.4',
      '1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj',
      '2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj',
      '3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >> endobj',
      `4 0 obj << /Length ${stream.length} >> stream`,
      stream,
      'endstream endobj',
      'trailer << /Root 1 0 R >>',
      '%%EOF',
      '',
    ].join('\n'),
  );
}

interface Fixture {
  file: string;
  kind: string;
  content: Buffer;
}

/** The fixtures, tagged with the run id where the format has room for text. */
function fixtures(runId: string, elfSource: string): Fixture[] {
  const text = Buffer.from(`${runId} fixture\n`);
  return [
    { file: 'random.bin', kind: 'random', content: randomBytes(4096) },
    {
      file: 'ascii.txt',
      kind: 'ascii',
      content: Buffer.from(`${runId} ASCII `.repeat(4096 / (runId.length + 7))),
    },
    { file: 'program.elf', kind: 'elf', content: readFileSync(elfSource) },
    { file: 'archive.zip', kind: 'zip', content: storedZip('etm.txt', text) },
    { file: 'data.xz', kind: 'xz', content: Buffer.from(XZ_STREAM, 'hex') },
    { file: 'data.gz', kind: 'gzip', content: gzipSync(text) },
    { file: 'document.pdf', kind: 'pdf', content: minimalPdf(`${runId} fixture`) },
  ];
}

/** Facts of a file as it is on disk now, read back rather than taken from what was written. */
export function factsOnDisk(path: string, kind: string): FileFacts {
  const st = statSync(path);
  return {
    path,
    kind,
    ...contentFacts(readFileSync(path)),
    inode: st.ino,
    device: deviceString(st.dev),
    mode: st.mode & 0o7777,
  };
}

const METADATA: SubCategoryId[] = [
  'md5',
  'sha',
  'fuzzy-hash',
  'file-entropy',
  'file-header-bytes',
  'file-size',
];

/** openat(O_WRONLY|O_CREAT|O_EXCL, 0644) + write + close, recorded as one create action. */
export async function createFile(
  ctx: RunContext,
  path: string,
  content: Buffer,
  kind: string,
  subCategories: SubCategoryId[],
): Promise<void> {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;
  await ctx.step(
    {
      subCategories,
      operation: 'create',
      via: 'node',
      args: {
        path,
        flags: { value: flags, names: flagNames(flags, OPEN_FLAGS) },
        mode: 0o644,
        length: content.length,
      },
      note: 'openat(O_WRONLY|O_CREAT|O_EXCL, 0644), one write of the whole content, close.',
    },
    () => {
      const fd = openSync(path, flags, 0o644);
      let written: number;
      try {
        written = writeSync(fd, content);
      } finally {
        closeSync(fd);
      }
      return {
        result: { ok: written === content.length, returnValue: written },
        args: { file: factsOnDisk(path, kind) },
      };
    },
  );
}

export const fileMetadata: Generator = {
  name: 'file_metadata',
  summary:
    'Writes fixtures with known magic bytes (random, ASCII, ELF, ZIP, XZ, GZIP, PDF) and records size, SHA-256, SHA-1, MD5, ssdeep, entropy and header bytes; modifies one, renames one, deletes all.',
  subCategories: ['file-creation', 'file-modification', 'file-deletion', ...METADATA],
  needsRoot: false,
  touches: 'its own temp dir /tmp/etm-<run id>-* only',
  unavailable: (host) =>
    host.bin.true === undefined
      ? 'No /bin/true to copy as the ELF fixture (install coreutils).'
      : undefined,
  async run(ctx, host) {
    const dir = ctx.tempDir();
    const items = fixtures(ctx.runId, requireBin(host, 'true')).map((f) => ({
      ...f,
      path: join(dir, f.file),
    }));
    for (const item of items) {
      await createFile(ctx, item.path, item.content, item.kind, ['file-creation', ...METADATA]);
    }

    const ascii = items.find((i) => i.kind === 'ascii');
    if (ascii !== undefined) {
      const extra = Buffer.from(`modified by ${ctx.runId}\n`);
      const flags = constants.O_WRONLY | constants.O_APPEND;
      await ctx.step(
        {
          subCategories: ['file-modification', ...METADATA],
          operation: 'write',
          via: 'node',
          args: {
            path: ascii.path,
            flags: { value: flags, names: flagNames(flags, OPEN_FLAGS) },
            length: extra.length,
          },
          note: 'Appends one line; file facts are those after the write.',
        },
        () => {
          const fd = openSync(ascii.path, flags);
          let written: number;
          try {
            written = writeSync(fd, extra);
          } finally {
            closeSync(fd);
          }
          return {
            result: { ok: written === extra.length, returnValue: written },
            args: { file: factsOnDisk(ascii.path, ascii.kind) },
          };
        },
      );
    }

    const pdf = items.find((i) => i.kind === 'pdf');
    if (pdf !== undefined) {
      const newPath = join(dir, 'document-renamed.pdf');
      await ctx.step(
        {
          subCategories: ['file-modification'],
          operation: 'rename',
          via: 'node',
          args: { path: pdf.path, newPath },
        },
        () => {
          renameSync(pdf.path, newPath);
          pdf.path = newPath;
          return {
            result: { ok: true, returnValue: 0 },
            args: { file: factsOnDisk(newPath, pdf.kind) },
          };
        },
      );
    }

    for (const item of items) {
      await ctx.step(
        {
          subCategories: ['file-deletion'],
          operation: 'unlink',
          via: 'node',
          args: { path: item.path },
        },
        () => {
          unlinkSync(item.path);
          return { result: { ok: true, returnValue: 0 } };
        },
      );
    }
  },
};
