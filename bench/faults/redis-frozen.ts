import { redisFaultScenario } from './support/request-path.js';

/** Redis stopped with SIGSTOP for 10 s under steady load: connections stay open, nothing answers. */
export const scenario = redisFaultScenario({
  name: 'Redis frozen 10 s',
  description:
    'SIGSTOP on redis-server for 10 s under 40 requests/s on the Redis-backed routes, then SIGCONT',
  faultMs: 10_000,
  inject: (redis) => redis.freeze(),
  recover: (redis) => redis.thaw(),
  progress: ['freezing Redis', 'Redis resumed'],
});
