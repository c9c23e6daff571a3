import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config.js';
import { startServer } from '../../app/server.js';
import { startWebServer, type WebServer } from '../../examples/web/serve.js';
import { startLambdaRuntimeOverHttp } from '../helpers/lambda-over-http.js';

/**
 * The example frontend in a real browser (Debian's Chromium, driven by playwright-core), served
 * from one origin and calling the API on another, once per runtime. It asserts what the page
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
  close(): Promise<void>;
}

/** `npm start`'s embedded defaults (memory stores, local simulations, local CORS origins). */
async function startApi(runtime: 'ecs' | 'lambda', dataDir: string): Promise<RunningApi> {
  const config = loadConfig({
    APP_ENV: 'local',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    JOBS_DATA_DIR: dataDir,
  });
  const logger = pino({ level: 'silent' });
  if (runtime === 'lambda') return startLambdaRuntimeOverHttp(config, logger);
  const running = await startServer(config, logger);
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
    api = await startApi(runtime, dataDir);
    web = await startWebServer({ apiUrl: api.url });
    // A fresh context per runtime: no cache, no stored preflights from the other run.
    page = await (await browser.newContext()).newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('requestfailed', (request) => problems.push(`${request.url()}: ${request.failure()?.errorText}`));
    await page.goto(web.url);
    await page.waitForSelector('body[data-ready="true"]');
  }, 60_000);

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

  it('met no CORS or network error on the way', () => {
    expect(problems).toEqual([]);
    expect(page.url().startsWith(web.url)).toBe(true);
  });
});
