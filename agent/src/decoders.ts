/**
 * Every record decoder, by record type: the table the frame reader looks types up in, gathered
 * from each family's decode.ts, and `Decoded`, the union of every family's decoded records. A new
 * family adds its rows and its record type here.
 */
import type { Decoder } from './decode.ts';
import { AUDIT_DECODERS, type AuditUserRec } from './families/audit/decode.ts';
import { DNS_DECODERS, type DnsPacketRec } from './families/dns/decode.ts';
import { FILE_DECODERS, type FileRec } from './families/file/decode.ts';
import { LOADER_DECODERS, type LoaderRec } from './families/loader/decode.ts';
import { NET_DECODERS, type NetRec } from './families/net/decode.ts';
import { PROCESS_DECODERS, type ProcessRec } from './families/process/decode.ts';
import { type BashReadlineRec, SCRIPT_DECODERS } from './families/script/decode.ts';
import { SECURITY_DECODERS, type SecurityRec } from './families/security/decode.ts';

/** A decoded record of any family, told apart by `kind`. */
export type Decoded =
  | ProcessRec
  | FileRec
  | SecurityRec
  | NetRec
  | DnsPacketRec
  | AuditUserRec
  | BashReadlineRec
  | LoaderRec;

/** Decoders by record type. */
export const DECODERS: ReadonlyMap<number, Decoder<Decoded>> = new Map<number, Decoder<Decoded>>([
  ...PROCESS_DECODERS,
  ...FILE_DECODERS,
  ...SECURITY_DECODERS,
  ...NET_DECODERS,
  ...DNS_DECODERS,
  ...AUDIT_DECODERS,
  ...SCRIPT_DECODERS,
  ...LOADER_DECODERS,
]);
