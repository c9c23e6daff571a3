/** A sales lead, as stored and returned by the leads routes. */
export interface Lead {
  readonly leadId: string;
  readonly name: string;
  readonly email: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface LeadStore {
  get(leadId: string): Promise<Lead | undefined>;
  /** Stores the lead, keeping the original `createdAt` when it replaces one; tells which happened. */
  put(input: Pick<Lead, 'leadId' | 'name' | 'email'>, now: Date): Promise<{ lead: Lead; created: boolean }>;
}

/** The embedded default: a process-local map, for `npm start` without Redis and for tests. */
export class MemoryLeadStore implements LeadStore {
  private readonly leads = new Map<string, Lead>();

  async get(leadId: string): Promise<Lead | undefined> {
    return this.leads.get(leadId);
  }

  async put(
    input: Pick<Lead, 'leadId' | 'name' | 'email'>,
    now: Date,
  ): Promise<{ lead: Lead; created: boolean }> {
    const previous = this.leads.get(input.leadId);
    const stamp = now.toISOString();
    const lead: Lead = { ...input, createdAt: previous?.createdAt ?? stamp, updatedAt: stamp };
    this.leads.set(input.leadId, lead);
    return { lead, created: previous === undefined };
  }
}
