/**
 * Which sensor made a capture, as the capture itself says (ECS `agent.type` / `agent.version`),
 * checked against the product a contributor names. A capture whose own sensor is another
 * product's is refused: its events cannot be evidence for the product named. Forwarders
 * (Winlogbeat, Filebeat, Elastic Agent) carry other products' events and never contradict.
 */
import { z } from 'zod';
import { streamLines } from './readers/lines.ts';
import type { FileShape } from './sanitize-capture.ts';
import type { SourceKind } from './windows/event.ts';

/**
 * Known ECS `agent.type` values. `vendors`: the matrix vendor ids (any platform) this sensor's
 * events are evidence for; empty for a sensor no matrix column names. A `forwarder` ships other
 * sources' events and so is evidence for whichever product made them.
 */
export const SENSOR_TYPES = [
  // Elastic Defend's own events (endpoint-*): agent.type "endpoint".
  { agentType: 'endpoint', product: 'Elastic Defend', role: 'sensor', vendors: ['elastic'] },
  // The project's eBPF reference agent (agent/src/ecs.ts AGENT_TYPE).
  {
    agentType: 'etm-reference-agent',
    product: 'EDR Telemetry Matrix reference agent',
    role: 'sensor',
    vendors: ['reference-agent'],
  },
  { agentType: 'auditbeat', product: 'Elastic Auditbeat', role: 'sensor', vendors: [] },
  { agentType: 'packetbeat', product: 'Elastic Packetbeat', role: 'sensor', vendors: [] },
  { agentType: 'osquery', product: 'osquery', role: 'sensor', vendors: [] },
  { agentType: 'winlogbeat', product: 'Elastic Winlogbeat', role: 'forwarder', vendors: [] },
  { agentType: 'filebeat', product: 'Elastic Filebeat', role: 'forwarder', vendors: [] },
  { agentType: 'elastic-agent', product: 'Elastic Agent', role: 'forwarder', vendors: [] },
] as const satisfies readonly {
  agentType: string;
  product: string;
  role: 'sensor' | 'forwarder';
  vendors: readonly string[];
}[];

export const SensorIdentitySchema = z.strictObject({
  /** ECS agent.type as the capture has it. */
  type: z.string().min(1).optional(),
  /** ECS agent.version as the capture has it. */
  version: z.string().min(1).optional(),
  /** `known`: in SENSOR_TYPES; `unknown`: a type the project does not know; `absent`: no agent.type. */
  identity: z.enum(['known', 'unknown', 'absent']),
});
export type SensorIdentity = z.infer<typeof SensorIdentitySchema>;

/** Thrown when the capture's own sensor is another product's; the message says which. */
export class IdentityError extends Error {
  override name = 'IdentityError';
}

function agentOf(doc: unknown): { type?: string; version?: string } {
  if (typeof doc !== 'object' || doc === null) return {};
  const d = doc as Record<string, unknown>;
  const nested =
    typeof d.agent === 'object' && d.agent !== null ? (d.agent as Record<string, unknown>) : {};
  const type = nested.type ?? d['agent.type'];
  const version = nested.version ?? d['agent.version'];
  return {
    ...(typeof type === 'string' && type !== '' ? { type } : {}),
    ...(typeof version === 'string' && version !== '' ? { version } : {}),
  };
}

/** Distinct (agent.type, agent.version) pairs of a JSON-lines capture, with their counts. */
export async function agentTypesOf(
  path: string,
  shape: FileShape,
): Promise<Map<string, { type: string; version?: string; events: number }>> {
  const out = new Map<string, { type: string; version?: string; events: number }>();
  if (shape !== 'json-lines') return out;
  await streamLines(path, (text) => {
    if (!text.includes('agent')) return;
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      return;
    }
    const { type, version } = agentOf(doc);
    if (type === undefined) return;
    const key = `${type}\u0000${version ?? ''}`;
    const seen = out.get(key);
    if (seen !== undefined) seen.events++;
    else out.set(key, { type, ...(version === undefined ? {} : { version }), events: 1 });
  });
  return out;
}

/**
 * The capture's sensor identity for `vendorId`, or an IdentityError when a known sensor type in
 * it belongs to another product.
 * @example identify([{ type: 'endpoint', version: '9.3.0', events: 10 }], 'crowdstrike') // throws
 */
export function identify(
  seen: readonly { type: string; version?: string; events: number }[],
  vendorId: string,
  capture: string,
): SensorIdentity {
  const known = seen.flatMap((s) => {
    const entry = SENSOR_TYPES.find((t) => t.agentType === s.type.toLowerCase());
    return entry === undefined ? [] : [{ ...s, entry }];
  });
  const contradicting = known.filter(
    (k) => k.entry.role === 'sensor' && !(k.entry.vendors as readonly string[]).includes(vendorId),
  );
  if (contradicting.length > 0) {
    const k = contradicting[0] as (typeof contradicting)[number];
    const owner =
      k.entry.vendors.length === 0
        ? 'no product of the matrix'
        : `"${k.entry.vendors.join('", "')}"`;
    throw new IdentityError(
      `${capture}: ${k.events} event(s) say agent.type "${k.type}" (${k.entry.product}, evidence for ${owner}), not for --vendor "${vendorId}". Package it for the product that recorded it, or export only ${vendorId}'s own events.`,
    );
  }
  const own = known.find((k) => k.entry.role === 'sensor') ?? known[0];
  if (own !== undefined)
    return {
      type: own.type,
      ...(own.version === undefined ? {} : { version: own.version }),
      identity: 'known',
    };
  const unknown = [...seen].sort((a, b) => b.events - a.events)[0];
  if (unknown !== undefined)
    return {
      type: unknown.type,
      ...(unknown.version === undefined ? {} : { version: unknown.version }),
      identity: 'unknown',
    };
  return { identity: 'absent' };
}

/**
 * Windows event sources a product makes itself, where it does not forward Windows' own logs:
 * Sysmon writes only its own channel, so Security or Task Scheduler events in a capture are not
 * Sysmon's evidence. A product not listed here is taken to forward every source it shipped.
 */
const PRODUCT_SOURCES: Record<string, readonly SourceKind[]> = {
  sysmon: ['sysmon'],
};

/** The Windows sources that count as `vendorId`'s evidence, or undefined for all of them. */
export function productSources(vendorId: string): readonly SourceKind[] | undefined {
  return PRODUCT_SOURCES[vendorId];
}
