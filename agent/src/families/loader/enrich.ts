/**
 * The sensor's own lifecycle as ECS events, as EDRs report theirs: `agent_start` once every
 * family is attached (the loader's hello record), `agent_stop` after a clean detach (its final
 * stats record). An agent that dies without a final stats record has no stop event.
 */
import { AGENT_TYPE } from '../../ecs.ts';
import type { EventWriter } from '../../event.ts';
import type { HelloRec, StatsRec } from './decode.ts';

const q = JSON.stringify;

/** Writes agent_start or agent_stop; `agentPid` is the node process, the loader's parent. */
export function writeLifecycle(
  events: EventWriter,
  rec: HelloRec | StatsRec,
  loaderPid: number,
  agentPid: number | undefined,
): void {
  const start = rec.kind === 'hello';
  const message = start
    ? `attached: families 0x${rec.families.toString(16)}, ring buffer ${rec.ringBytes} bytes, drained every ${rec.drainMs} ms`
    : `detached: ${rec.records} records read, ${rec.drops.reduce((n, d) => n + d.count, 0)} dropped in the kernel`;
  const parent = agentPid ? `,"parent":{"pid":${agentPid}}` : '';
  events.write({
    rec,
    tsNs: rec.tsNs,
    category: ['host'],
    type: [start ? 'start' : 'end'],
    action: start ? 'agent_start' : 'agent_stop',
    outcome: 'success',
    fallbackProcess: `"process":{"pid":${loaderPid},"name":"agent-loader"${parent}}`,
    top: `,"agent":{"type":"${AGENT_TYPE}"},"message":${q(`reference agent ${message}`)}`,
  });
}
