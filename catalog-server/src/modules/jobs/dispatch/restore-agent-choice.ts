// Which agent runs a restore nobody placed: the one whose library holds a complete copy of the most
// selected files (it can read them without anyone moving a cartridge), then the one that wrote the
// most of them, then one that is online, then by name so the choice is deterministic. With no agent
// holding or having written anything (every tape on a shelf, the writer removed), an online agent
// is asked for the tapes. Pure, so the rules are unit-tested without a database.

export interface RestoreAgentCandidate {
  id: string;
  name: string;
  online: boolean;
}

export interface RestoreAgentScore {
  inLibrary: number;
  wrote: number;
}

/** The agent to restore on, or null when no agent is registered. */
export function chooseRestoreAgent(agents: RestoreAgentCandidate[], scores: Map<string, RestoreAgentScore>): RestoreAgentCandidate | null {
  const none: RestoreAgentScore = { inLibrary: 0, wrote: 0 };
  const ranked = [...agents].sort((a, b) => {
    const sa = scores.get(a.id) ?? none;
    const sb = scores.get(b.id) ?? none;
    return sb.inLibrary - sa.inLibrary || sb.wrote - sa.wrote || Number(b.online) - Number(a.online) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  });
  return ranked[0] ?? null;
}
