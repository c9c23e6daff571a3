import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RATE_LIMIT_REDIS_OPTIONS } from '../../adapters/rate-limit/store-client.js';
import { createRedisClient } from '../../app/redis.js';
import {
  boundedGuard,
  ecsApp,
  HELD_GROUP,
  heldHandler,
  heldRoute,
  inFlightProbe,
  untilReady,
} from './support.js';

/**
 * An ECS instance whose one route holds its slot until the process dies: the holder the lease
 * expiry test kills with SIGKILL. Prints its port once it can take requests.
 *
 * argv: redisUrl prefix timeoutMs
 */
const [redisUrl = '', prefix = '', timeoutText = '1500'] = process.argv.slice(2);
const leases = createRedisClient({ url: redisUrl }, RATE_LIMIT_REDIS_OPTIONS);
const handlerRedis = createRedisClient({ url: redisUrl });
await untilReady(leases);
await untilReady(handlerRedis);
const forever = () => new Promise<void>(() => {});
const routes = [
  heldRoute(
    'GET',
    '/held/:n',
    heldHandler({ redis: handlerRedis, probe: inFlightProbe(prefix), holdMs: 0, release: forever }),
    {
      timeoutMs: Number(timeoutText),
    },
  ),
];
const { guard } = boundedGuard({
  redis: leases,
  prefix,
  routes,
  groups: { [HELD_GROUP]: { maxConcurrency: 1 } },
});
const server = createServer(ecsApp(routes, guard));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
