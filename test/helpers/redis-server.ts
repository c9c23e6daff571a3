import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll } from 'vitest';

/** A free TCP port on loopback, asked of the kernel. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export function hasRedisServerBinary(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * A private redis-server on a free port, for tests that stop and restart Redis to inject faults.
 * `stop()` kills it (SIGKILL: no shutdown save); `start()` brings it back on the same port;
 * `freeze()` / `thaw()` stop and resume it with SIGSTOP / SIGCONT.
 * By default it keeps nothing on disk. `durable: true` keeps its data across a kill (append-only
 * file, fsync on every write), as a managed Redis with persistence or a replica failover would;
 * `destroy()` then also removes its directory.
 */
export class PrivateRedis {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly dataDir: string | undefined,
    private readonly cores: string | undefined,
  ) {}

  /**
   * @param options.cores `taskset -c` core list to run redis-server on (benchmarks keep it off the
   *   server's core); unpinned when absent.
   */
  static async start(options: { durable?: boolean; cores?: string } = {}): Promise<PrivateRedis> {
    const dataDir = options.durable ? await mkdtemp(join(tmpdir(), 'private-redis-')) : undefined;
    const redis = new PrivateRedis(await freePort(), dataDir, options.cores);
    await redis.start();
    return redis;
  }

  async destroy(): Promise<void> {
    await this.stop();
    if (this.dataDir) await rm(this.dataDir, { recursive: true, force: true });
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.child) return;
    const persistence = this.dataDir
      ? ['--dir', this.dataDir, '--appendonly', 'yes', '--appendfsync', 'always']
      : ['--appendonly', 'no'];
    const args = [
      'redis-server',
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      ...persistence,
      '--protected-mode',
      'no',
    ];
    // The kill and SIGSTOP below reach redis-server itself: taskset execs it in its own place.
    const [command, ...rest] = this.cores === undefined ? args : ['taskset', '-c', this.cores, ...args];
    const child = spawn(command as string, rest, { stdio: 'ignore' });
    this.child = child;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const probe = new Redis(this.url, {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      probe.on('error', () => {});
      try {
        await probe.connect();
        // Answers LOADING while an append-only file is replayed: not ready yet.
        await probe.ping();
        probe.disconnect();
        return;
      } catch {
        probe.disconnect();
        await sleep(50);
      }
    }
    throw new Error(`redis-server did not start on port ${this.port}`);
  }

  /** SIGSTOP: Redis keeps its sockets open and answers nothing, like a hung or paused node. */
  freeze(): void {
    this.child?.kill('SIGSTOP');
  }

  /** SIGCONT after freeze(). */
  thaw(): void {
    this.child?.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    // A frozen process gets SIGKILL too, but resume it so nothing waits on a stopped child.
    child.kill('SIGCONT');
    await exited;
  }
}

/**
 * The Redis the suite shares: REDIS_URL when set, else the local default. Each test keys its data
 * under its own prefix (`test-<uuid>:`) and removes it afterwards.
 */
export function sharedRedisUrl(): string {
  return process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
}

export function uniquePrefix(label = 'test'): string {
  return `${label}-${randomUUID()}:`;
}

/** Deletes every key under a prefix (SCAN, never KEYS, so a shared Redis is not blocked). */
export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

/**
 * For a describe block on the shared Redis: registers the hooks that connect once, hand each test
 * fresh key prefixes, and delete everything under them after each test.
 */
export function useSharedRedis(label = 'test'): { redis: () => Redis; prefix: () => string } {
  let client: Redis | undefined;
  const prefixes: string[] = [];
  beforeAll(async () => {
    client = new Redis(sharedRedisUrl(), { maxRetriesPerRequest: 1 });
    await client.ping();
  });
  afterEach(async () => {
    for (const prefix of prefixes.splice(0)) if (client) await deletePrefix(client, prefix);
  });
  afterAll(async () => {
    await client?.quit();
  });
  return {
    redis: () => {
      if (!client) throw new Error('useSharedRedis: the client exists only inside tests');
      return client;
    },
    prefix: () => {
      const prefix = uniquePrefix(label);
      prefixes.push(prefix);
      return prefix;
    },
  };
}
