/**
 * Decoders of the file family's records: create, modify, close, rename, unlink, raw block-device
 * reads, and the image family's library loads (the same `rec_file_event`).
 */
import {
  cstr,
  type Decoder,
  type DecoderRows,
  decodeFileRef,
  decodeTask,
  type FileRef,
  fits,
  need,
  pathFromBlob,
  type RawRecord,
  type RecordBase,
  s64,
  type TaskCtx,
} from '../../decode.ts';
import { REC } from '../../records.ts';
import { FILE_EVENT, FILE_PATH_OP, RAW_ACCESS } from './records.ts';

export interface FileEventRec extends RecordBase {
  kind: 'file_create' | 'file_modify' | 'file_close' | 'image_load';
  task: TaskCtx;
  file: FileRef;
}
export interface FilePathOpRec extends RecordBase {
  kind: 'file_rename' | 'file_unlink';
  task: TaskCtx;
  ret: number;
  flags: number;
  oldName: string;
  newName: string;
  oldDir: string;
  newDir: string;
}

export interface RawAccessRec extends RecordBase {
  kind: 'raw_access';
  task: TaskCtx;
  file: FileRef;
  rdev: number;
}
export type FileRec = FileEventRec | FilePathOpRec | RawAccessRec;

function decodePathOp(r: RawRecord, tsNs: number, kind: FilePathOpRec['kind']): FilePathOpRec {
  need(r, FILE_PATH_OP.SIZE, kind);
  const v = r.view;
  const o = r.off;
  const oldLen = v.getUint16(o + FILE_PATH_OP.old_len, true);
  const newLen = v.getUint16(o + FILE_PATH_OP.new_len, true);
  const oldDirLen = v.getUint16(o + FILE_PATH_OP.old_dir_len, true);
  const newDirLen = v.getUint16(o + FILE_PATH_OP.new_dir_len, true);
  fits(r, FILE_PATH_OP.SIZE, oldLen + newLen + oldDirLen + newDirLen, kind);
  let p = o + FILE_PATH_OP.SIZE;
  const oldName = cstr(r.buf, p, p + oldLen);
  p += oldLen;
  const newName = cstr(r.buf, p, p + newLen);
  p += newLen;
  const oldDir = oldDirLen ? pathFromBlob(r.buf, p, oldDirLen) : '';
  p += oldDirLen;
  const newDir = newDirLen ? pathFromBlob(r.buf, p, newDirLen) : '';
  return {
    kind,
    tsNs,
    task: decodeTask(r, FILE_PATH_OP.task),
    ret: s64(v, o + FILE_PATH_OP.ret),
    flags: v.getUint32(o + FILE_PATH_OP.flags, true),
    oldName,
    newName,
    oldDir,
    newDir,
  };
}

function fileEvent(kind: FileEventRec['kind']): Decoder<FileEventRec> {
  return (r, tsNs) => {
    need(r, FILE_EVENT.SIZE, kind);
    return {
      kind,
      tsNs,
      task: decodeTask(r, FILE_EVENT.task),
      file: decodeFileRef(r, FILE_EVENT.file, FILE_EVENT.SIZE),
    };
  };
}

/** Rows for decoders.ts. */
export const FILE_DECODERS: DecoderRows<FileRec> = [
  [REC.FILE_CREATE, fileEvent('file_create')],
  [REC.FILE_MODIFY, fileEvent('file_modify')],
  [REC.FILE_CLOSE, fileEvent('file_close')],
  [REC.IMAGE_LOAD, fileEvent('image_load')],
  [REC.FILE_RENAME, (r, tsNs) => decodePathOp(r, tsNs, 'file_rename')],
  [REC.FILE_UNLINK, (r, tsNs) => decodePathOp(r, tsNs, 'file_unlink')],
  [
    REC.RAW_ACCESS,
    (r, tsNs) => {
      need(r, RAW_ACCESS.SIZE, 'raw_access');
      return {
        kind: 'raw_access',
        tsNs,
        task: decodeTask(r, RAW_ACCESS.task),
        file: decodeFileRef(r, RAW_ACCESS.file, RAW_ACCESS.SIZE),
        rdev: r.view.getUint32(r.off + RAW_ACCESS.rdev, true),
      };
    },
  ],
];
