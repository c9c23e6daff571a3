import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config.js';
import { resolveRouteTargets } from '../../app/route-targets.js';
import { routes } from '../../app/routes.js';
import { startServer } from '../../app/server.js';
import { startWebServer, type WebServer } from '../../examples/web/serve.js';
import { environmentRouting } from '../../infra/environments.js';
import type { RoutedRequest } from '../../local-stack/alb/local-alb.js';
import { startStack } from '../../local-stack/stack.js';
import { builtArtifacts } from '../helpers/built-artifacts.js';
import { deletePrefix, freePort, sharedRedisUrl, uniquePrefix } from '../helpers/redis-server.js';

/**
 * The example frontend in a real browser (Debian's Chromium, driven by playwright-core), served
 * from one origin and calling the API on another, once per runtime: the ECS server in-process, and
 * Lambda as deployed, through dev's local stack (ALB rules, built zips). It asserts what the page
 * shows, which the page can only show if CORS lets its script read the answers and their headers.
 */

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-gpu',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

interface RunningApi {
  readonly url: string;
  /** Through the stack: what the local ALB did with each request (rule, target, status). */
  readonly routed?: readonly RoutedRequest[];
  close(): Promise<void>;
}

/** Every route dev's stack allows on Lambda, sent there (the Jenkins ROUTE_TARGETS parameter). */
const everyRouteOnLambda = resolveRouteTargets(routes, {
  environment: environmentRouting.dev?.routeTargets ?? {},
})
  .filter((a) => a.route.targets.includes('lambda'))
  .map((a) => `${a.id}=lambda`)
  .join(',');

/**
 * ecs: `npm start`'s embedded defaults (memory stores, local simulations, local CORS origins).
 * lambda: dev's local stack (`npm run stack`) with every route on Lambda, so the page's requests
 * go through the synthesized listener rules into the built zips. Its one local change: the page's
 * origin in place of the CORS origins dev lists. Its simulations run embedded, from the build.
 */
async function startApi(runtime: 'ecs' | 'lambda', dataDir: string, pageOrigin: string): Promise<RunningApi> {
  if (runtime === 'lambda') {
    const prefix = uniquePrefix('browser');
    const routed: RoutedRequest[] = [];
    const stack = await startStack({
      env: 'dev',
      routeTargets: everyRouteOnLambda,
      corsAllowedOrigins: pageOrigin,
      distDir: await builtArtifacts(),
      redisUrl: sharedRedisUrl(),
      redisKeyPrefix: prefix,
      logLevel: 'silent',
      onRequest: (request) => routed.push(request),
    });
    return {
      url: stack.url,
      routed,
      close: async () => {
        await stack.stop();
        const redis = new Redis(sharedRedisUrl(), { maxRetriesPerRequest: 1 });
        await deletePrefix(redis, prefix);
        redis.disconnect();
      },
    };
  }
  const config = loadConfig({
    APP_ENV: 'local',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    JOBS_DATA_DIR: dataDir,
  });
  const running = await startServer(config, pino({ level: 'silent' }));
  return {
    url: `http://127.0.0.1:${running.port}`,
    close: async () => {
      await running.shutdown({ drainMs: 0 });
    },
  };
}

const text = (page: Page, id: string) => page.locator(`#${id}`).innerText();

let browser: Browser;

beforeAll(async () => {
  // One browser for both runtimes; launch() starts it from a fresh temporary profile (user-data-dir).
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

describe.each(['ecs', 'lambda'] as const)('example frontend in Chromium, API on %s', (runtime) => {
  let dataDir: string;
  let api: RunningApi;
  let web: WebServer;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'web-e2e-'));
    // The page's port is chosen first: the stack must list its origin before it starts.
    const webPort = await freePort();
    api = await startApi(runtime, dataDir, `http://127.0.0.1:${webPort}`);
    web = await startWebServer({ apiUrl: api.url, port: webPort });
    // A fresh context per runtime: no cache, no stored preflights from the other run.
    page = await (await browser.newContext()).newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('requestfailed', (request) => problems.push(`${request.url()}: ${request.failure()?.errorText}`));
    await page.goto(web.url);
    await page.waitForSelector('body[data-ready="true"]');
  }, 180_000);

  afterAll(async () => {
    await page?.context().close();
    await web?.close();
    await api?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('serves the page from another origin than the API', async () => {
    expect(new URL(web.url).origin).not.toBe(new URL(api.url).origin);
    expect(await text(page, 'api-url')).toBe(api.url);
  });

  it('creates and reads a lead, showing Location and the RateLimit header it read', async () => {
    // Prepare
    await page.fill('input[name="leadId"]', `ada-${runtime}`);
    // Act
    await page.click('#lead-save');
    await page.locator('#lead-status', { hasText: /^201$/ }).waitFor();
    const location = await text(page, 'lead-location');
    const afterCreate = await text(page, 'rate-limit');
    await page.click('#lead-read');
    // The read costs 1 point: the page shows it once the answer is in.
    await page.locator('#rate-limit', { hasText: ';r=117;' }).waitFor();
    const afterRead = await text(page, 'rate-limit');
    // Assess: Location from the header; RateLimit counts the create (2 points) then the read (1).
    expect(location).toBe(`/leads/ada-${runtime}`);
    expect(afterCreate).toMatch(/^"standard-anonymous";r=118;t=\d+$/);
    expect(afterRead).toMatch(/^"standard-anonymous";r=117;t=\d+$/);
    expect(await text(page, 'rate-limit-policy')).toBe('"standard-anonymous";q=120;w=60');
    expect(await text(page, 'request-id')).toMatch(/\S{8,}/);
    expect(JSON.parse(await text(page, 'lead-body'))).toMatchObject({
      leadId: `ada-${runtime}`,
      name: 'Ada Lovelace',
    });
  });

  it('runs a simulation with an Idempotency-Key, waits for it and plots its result', async () => {
    // Act
    await page.click('#simulation-run');
    // The page long-polls until the job ends; a loaded machine may take a while to run it.
    await page.locator('#simulation-range', { hasText: / m$/ }).waitFor({ timeout: 100_000 });
    // Assess: what the page read from the answers' headers and bodies…
    const location = await text(page, 'simulation-location');
    expect(location).toMatch(/^\/simulations\/[0-9a-f-]{36}$/);
    expect(await text(page, 'simulation-key')).toMatch(/^web-[0-9a-f]{32}$/);
    expect(await text(page, 'simulation-status')).toBe('succeeded');
    expect(await text(page, 'simulation-preference')).toBe('wait=10');
    expect(await text(page, 'rate-limit')).toMatch(/^"standard-anonymous";r=\d+;t=\d+$/);
    // …agrees with the API's own answer, read here without a browser…
    const result = (await (await fetch(`${api.url}${location}/result`)).json()) as {
      result: { rangeM: number; samples: unknown[] };
    };
    expect(await text(page, 'simulation-range')).toBe(`${result.result.rangeM.toFixed(2)} m`);
    // …and the plot has one point per sample.
    const points = await page.locator('#trajectory').getAttribute('points');
    expect(points?.trim().split(/\s+/)).toHaveLength(result.result.samples.length);
    expect(result.result.samples.length).toBeGreaterThan(20);
  }, 120_000);

  // Only the Lambda run goes through the local ALB; the ECS run has no rules to check.
  if (runtime === 'lambda') {
    it('went through the listener rules to the Lambda functions', () => {
      // Assess: preflights and requests alike, every one answered by a function.
      const reached = (api.routed ?? []).map((r) => `${r.method} ${r.path} ${r.target} ${r.status}`);
      expect(reached).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^OPTIONS \/leads\/ada-lambda lambda:\S+-leads 204$/),
          expect.stringMatching(/^POST \/leads\/ada-lambda lambda:\S+-leads 201$/),
          expect.stringMatching(/^GET \/leads\/ada-lambda lambda:\S+-leads 200$/),
          expect.stringMatching(/^POST \/simulations lambda:\S+-jobs 20[12]$/),
          expect.stringMatching(/^GET \/simulations\/\S+\/result lambda:\S+-jobs 200$/),
        ]),
      );
      for (const line of reached) expect(line).toMatch(/^\S+ \S+ lambda:/);
    });
  }

  it('met no CORS or network error on the way', () => {
    expect(problems).toEqual([]);
    expect(page.url().startsWith(web.url)).toBe(true);
  });
});
