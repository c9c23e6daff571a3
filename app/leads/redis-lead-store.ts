import type { Redis } from 'ioredis';
import type { Lead, LeadStore } from './lead-store.js';

/**
 * Leads in Redis, one JSON string per lead. The first write wins `createdAt`: a Lua script keeps
 * it atomic when two tasks write the same lead at once.
 */
const PUT_SCRIPT = `
local previous = redis.call('GET', KEYS[1])
local created = ARGV[2]
if previous then
  local ok, decoded = pcall(cjson.decode, previous)
  if ok and decoded.createdAt then created = decoded.createdAt end
end
local lead = cjson.decode(ARGV[1])
lead.createdAt = created
local encoded = cjson.encode(lead)
redis.call('SET', KEYS[1], encoded)
if previous then return {encoded, 0} end
return {encoded, 1}
`;

export class RedisLeadStore implements LeadStore {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
  ) {}

  private key(leadId: string): string {
    return `${this.keyPrefix}lead:${leadId}`;
  }

  async get(leadId: string): Promise<Lead | undefined> {
    const raw = await this.redis.get(this.key(leadId));
    return raw === null ? undefined : toLead(raw);
  }

  async put(
    input: Pick<Lead, 'leadId' | 'name' | 'email'>,
    now: Date,
  ): Promise<{ lead: Lead; created: boolean }> {
    const stamp = now.toISOString();
    const draft = { leadId: input.leadId, name: input.name, email: input.email, updatedAt: stamp };
    const [encoded, created] = (await this.redis.eval(
      PUT_SCRIPT,
      1,
      this.key(input.leadId),
      JSON.stringify(draft),
      stamp,
    )) as [string, number];
    const lead = toLead(encoded);
    return { lead, created: created === 1 };
  }
}

/** Rebuilds the documented field order (Lua's cjson does not keep key order). */
function toLead(encoded: string): Lead {
  const stored = JSON.parse(encoded) as Lead;
  return {
    leadId: stored.leadId,
    name: stored.name,
    email: stored.email,
    createdAt: stored.createdAt,
    updatedAt: stored.updatedAt,
  };
}
