/** ECS events of the script family: `bash_readline`, each line an interactive bash read. */
import type { EnrichContext } from '../../event.ts';
import type { BashReadlineRec } from './decode.ts';

const q = JSON.stringify;

export class ScriptEnricher {
  private readonly ctx: EnrichContext;

  constructor(ctx: EnrichContext) {
    this.ctx = ctx;
  }

  onRecord(rec: BashReadlineRec): void {
    const p = this.ctx.processes.forTask(rec.task);
    if (this.ctx.events.isExcluded(p, rec.task)) return;
    this.ctx.events.write({
      rec,
      tsNs: rec.tsNs,
      category: ['process'],
      type: ['info'],
      action: 'bash_readline',
      proc: p,
      procExtra: `,"Ext":{"readline":{"line":${q(rec.line)}${rec.truncated ? ',"truncated":true' : ''}}}`,
    });
  }
}
