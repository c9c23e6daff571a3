import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config.js';
import { createLogger } from '../../app/logger.js';
import { type RunningServer, startServer } from '../../app/server.js';
import { PrivateRedis } from '../helpers/redis-server.js';
import { type ServerProcess, startServerProcess } from './server-process.js';
import { openSlowClient, type SlowClient } from './slow-clients.js';

function post(port: number, path: string, body: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    req.end(body);
  });
}

const simulation = JSON.stringify({
  model: 'projectile-drag',
  massKg: 0.145,
  areaM2: 0.0042,
  dragCoefficient: 0.3,
  speedMS: 40,
  angleDeg: 35,
  heightM: 1.5,
  maxTimeS: 10,
  sampleIntervalS: 0.1,
});

describe('shutdown is bounded whatever the dependencies and clients do', () => {
  let server: ServerProcess | undefined;
  let redis: PrivateRedis | undefined;
  let dataDir: string | undefined;
  const clients: SlowClient[] = [];

  afterEach(async () => {
    server?.child.kill('SIGKILL');
    server = undefined;
    for (const client of clients.splice(0)) client.stop();
    await redis?.destroy();
    redis = undefined;
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    dataDir = undefined;
  });

  it('exits within SHUTDOWN_TIMEOUT_MS on SIGTERM while Redis is frozen (SIGSTOP)', async () => {
    // Prepare: a Redis-backed server that has used Redis (a lead, a job), then Redis freezes
    // with a request in flight.
    redis = await PrivateRedis.start();
    dataDir = await mkdtemp(join(tmpdir(), 'frozen-shutdown-'));
    server = await startServerProcess({
      REDIS_URL: redis.url,
      JOBS_DATA_DIR: dataDir,
      SHUTDOWN_DRAIN_MS: '1000',
      SHUTDOWN_TIMEOUT_MS: '10000',
    });
    expect(await post(server.port, '/leads/ada', '{"name":"Ada","email":"ada@example.com"}')).toBe(201);
    expect(await post(server.port, '/simulations', simulation)).toBe(202);
    redis.freeze();
    const inFlight = post(server.port, '/leads/grace', '{"name":"Grace","email":"grace@example.com"}');
    await sleep(200);

    // Act
    const signalledAt = Date.now();
    server.child.kill('SIGTERM');
    const exitCode = await server.exited;
    const elapsed = Date.now() - signalledAt;

    // Assess
    expect(elapsed).toBeLessThan(10_000);
    expect(exitCode).toBe(0);
    expect(server.logs.join('')).toContain('shutdown: complete');
    // The request that met the frozen Redis got an answer or a closed socket, never a hang.
    expect(await inFlight).toBeDefined();
  }, 90_000);

  it('cuts slow-header, trickled-body and idle sockets when draining ends', async () => {
    // Prepare: 30 hostile sockets (200 in `npm run bench -- faults`), a byte every second each.
    server = await startServerProcess({ SHUTDOWN_DRAIN_MS: '500', SHUTDOWN_TIMEOUT_MS: '10000' });
    const port = server.port;
    for (const kind of ['headers', 'body', 'idle'] as const) {
      for (let i = 0; i < 10; i += 1) clients.push(openSlowClient(port, kind, 1_000));
    }
    await sleep(1_500);

    // Act
    const signalledAt = Date.now();
    server.child.kill('SIGTERM');
    const exitCode = await server.exited;
    const elapsed = Date.now() - signalledAt;
    const ends = await Promise.all(clients.map((c) => c.ended));

    // Assess: the drain (0.5 s) and no more; no socket held the shutdown to its 10 s deadline.
    expect(exitCode).toBe(0);
    expect(elapsed).toBeLessThan(3_000);
    expect(ends.every((end) => end.at - signalledAt < 3_000)).toBe(true);
    const log = server.logs.join('');
    expect(log).toContain('cut sockets without a complete request');
    expect(log).toContain('"clean":true');
  }, 90_000);
});

describe('a body trickled to the server', () => {
  let running: RunningServer | undefined;

  afterEach(async () => {
    await running?.shutdown({ drainMs: 0 });
    running = undefined;
  });

  it('is answered 408 within the route deadline, and its socket closed', async () => {
    // Prepare: POST /leads/:leadId has a 5 s deadline; the body comes a byte every 5 s.
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      SHUTDOWN_TIMEOUT_MS: '2000',
      SHUTDOWN_DRAIN_MS: '0',
    });
    running = await startServer(config, createLogger({ level: 'silent', env: 'test', runtime: 'ecs' }));
    const startedAt = Date.now();

    // Act
    const client = openSlowClient(running.port, 'body', 5_000);
    const { at, response } = await client.ended;

    // Assess
    expect(response).toMatch(/^HTTP\/1\.1 408 /);
    expect(response.toLowerCase()).toContain('connection: close');
    expect(response).toContain('"code":"request_timeout"');
    expect(at - startedAt).toBeLessThan(5_000);
    client.stop();
  }, 20_000);
});
