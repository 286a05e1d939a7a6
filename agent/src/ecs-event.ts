/**
 * The shape of what the agent writes: one ECS event per NDJSON line. The members every reader
 * relies on are typed (the event head the EventWriter renders, event.ts); family members
 * (`file`, `Target`, `network`, `dns`...) stay `unknown` beyond their name, as their fields are
 * documented per action in agent/README.md. Readers of a capture (the agent's tests, the bench)
 * parse lines into this type.
 */
export interface EcsEvent {
  '@timestamp': string;
  event: {
    kind: string;
    action: string;
    category: string[];
    type: string[];
    outcome?: string;
    sequence: number;
  };
  /** The acting process; the agent's own start and stop events carry only pid, name and parent. */
  process: Record<string, unknown> & { pid: number; entity_id: string };
  file?: Record<string, unknown>;
  Target?: { process: Record<string, unknown> & { pid: number } };
  /** Absent on the agent's own start and stop events. */
  user?: { id: string; name?: string };
  [key: string]: unknown;
}
