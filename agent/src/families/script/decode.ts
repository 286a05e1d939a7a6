/** Decoder of the script family's record: a line bash's readline returned. */
import {
  type DecoderRows,
  decodeTask,
  fits,
  need,
  type RawRecord,
  type RecordBase,
  type TaskCtx,
} from '../../decode.ts';
import { REC } from '../../records.ts';
import { BASH_READLINE, BASHF_TRUNCATED } from './records.ts';

export interface BashReadlineRec extends RecordBase {
  kind: 'bash_readline';
  task: TaskCtx;
  line: string;
  truncated: boolean;
}

function bashReadline(r: RawRecord, tsNs: number): BashReadlineRec {
  need(r, BASH_READLINE.SIZE, 'bash readline');
  const len = r.view.getUint32(r.off + BASH_READLINE.line_len, true);
  fits(r, BASH_READLINE.SIZE, len, 'bash readline');
  const start = r.off + BASH_READLINE.SIZE;
  return {
    kind: 'bash_readline',
    tsNs,
    task: decodeTask(r, BASH_READLINE.task),
    line: r.buf.toString('utf8', start, start + len),
    truncated: (r.view.getUint32(r.off + BASH_READLINE.flags, true) & BASHF_TRUNCATED) !== 0,
  };
}

/** Rows for decoders.ts. */
export const SCRIPT_DECODERS: DecoderRows<BashReadlineRec> = [[REC.BASH_READLINE, bashReadline]];
