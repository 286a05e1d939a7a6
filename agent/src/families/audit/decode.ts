/** Decoder of the audit family's record: one user-space audit message from the netlink socket. */
import { type DecoderRows, fits, need, type RawRecord, type RecordBase } from '../../decode.ts';
import { REC } from '../../records.ts';
import { AUDIT_USER } from './records.ts';

export interface AuditUserRec extends RecordBase {
  kind: 'audit_user';
  /** The audit message type (AUDIT_ADD_USER, AUDIT_USER_LOGIN...). */
  auditType: number;
  text: string;
}

function auditUser(r: RawRecord, tsNs: number): AuditUserRec {
  need(r, AUDIT_USER.SIZE, 'audit');
  const len = r.view.getUint32(r.off + AUDIT_USER.text_len, true);
  fits(r, AUDIT_USER.SIZE, len, 'audit');
  const start = r.off + AUDIT_USER.SIZE;
  return {
    kind: 'audit_user',
    tsNs,
    auditType: r.view.getUint32(r.off + AUDIT_USER.audit_type, true),
    text: r.buf.toString('utf8', start, start + len),
  };
}

/** Rows for decoders.ts. */
export const AUDIT_DECODERS: DecoderRows<AuditUserRec> = [[REC.AUDIT_USER, auditUser]];
