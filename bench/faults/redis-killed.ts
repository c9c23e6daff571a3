import { redisFaultScenario } from './support/request-path.js';

/** redis-server killed (SIGKILL) under steady load and started again 5 s later, with its data. */
export const scenario = redisFaultScenario({
  name: 'Redis killed, restarted after 5 s',
  description: 'SIGKILL on redis-server under 40 requests/s, restarted after 5 s (append-only file kept)',
  faultMs: 5_000,
  inject: (redis) => redis.stop(),
  recover: (redis) => redis.start(),
  progress: ['killing Redis', 'Redis restarted'],
});
