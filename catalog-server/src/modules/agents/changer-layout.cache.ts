// The slot layout (which slots exist, which are import/export) each changer reported at its agent's
// latest registration. The catalog schema has no column for import/export slots yet, so this lives
// in memory: after a server restart it fills again as soon as agents re-register (they do on
// reconnect); until then slots are 1..slotCount and importExport is false.
import { Injectable } from '@nestjs/common';
import type { SlotLayout } from './registration.js';

@Injectable()
export class ChangerLayoutCache {
  private readonly layouts = new Map<string, SlotLayout[]>();

  replace(agentId: string, changers: { name: string; slots: SlotLayout[] }[]): void {
    for (const key of [...this.layouts.keys()]) if (key.startsWith(`${agentId}/`)) this.layouts.delete(key);
    for (const c of changers) this.layouts.set(`${agentId}/${c.name}`, c.slots);
  }

  get(agentId: string, changerName: string): SlotLayout[] | undefined {
    return this.layouts.get(`${agentId}/${changerName}`);
  }
}
