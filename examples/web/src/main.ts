import createClient from 'openapi-fetch';
import type { components, paths } from '../../../app/openapi-types.js';
import { drawTrajectory } from './plot.js';

/**
 * The example frontend: a page on its own origin calling the API through a client typed from the
 * API's OpenAPI document (openapi-fetch). Everything it shows comes from the API's answers,
 * headers included: CORS exposes Location, RateLimit and the rest to this script.
 */

type Simulation = components['schemas']['Simulation'];

const FINAL = new Set<Simulation['status']>(['succeeded', 'failed', 'cancelled']);
/** How long one GET may hold its answer (`Prefer: wait`); the API caps it below its deadline. */
const WAIT_SECONDS = 10;

const apiBaseUrl =
  document.querySelector<HTMLMetaElement>('meta[name="api-base-url"]')?.content || 'http://localhost:3000';
const client = createClient<paths>({ baseUrl: apiBaseUrl });

function byId<T extends HTMLElement | SVGSVGElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`#${id} is missing from the page`);
  return node as unknown as T;
}

function show(id: string, text: string | null | undefined): void {
  byId(id).textContent = text ?? '—';
}

/** The rate-limit headers of every answer, shown as received. */
function showRateLimit(response: Response): void {
  show('rate-limit', response.headers.get('RateLimit'));
  show('rate-limit-policy', response.headers.get('RateLimit-Policy'));
  show('rate-limit-remaining', response.headers.get('X-RateLimit-Remaining'));
  show('request-id', response.headers.get('X-Request-Id'));
}

function showError(error: unknown, response?: Response): void {
  const body = error as { error?: { code?: string; message?: string } } | undefined;
  const text = body?.error
    ? `${response?.status ?? ''} ${body.error.code}: ${body.error.message}`
    : error instanceof Error
      ? error.message
      : String(error);
  show('error', text.trim());
}

/** Any printable ASCII works as a key; random, so a retry of this one submission reuses it. */
function newIdempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `web-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

function leadForm(): { leadId: string; name: string; email: string } {
  const form = new FormData(byId<HTMLFormElement>('lead-form'));
  return {
    leadId: String(form.get('leadId')),
    name: String(form.get('name')),
    email: String(form.get('email')),
  };
}

async function saveLead(): Promise<void> {
  const { leadId, name, email } = leadForm();
  const { data, error, response } = await client.POST('/leads/{leadId}', {
    params: { path: { leadId } },
    body: { name, email },
  });
  showRateLimit(response);
  show('lead-status', String(response.status));
  show('lead-location', response.headers.get('Location'));
  if (error) return showError(error, response);
  show('lead-body', JSON.stringify(data, null, 2));
}

async function readLead(): Promise<void> {
  const { leadId } = leadForm();
  const { data, error, response } = await client.GET('/leads/{leadId}', { params: { path: { leadId } } });
  showRateLimit(response);
  show('lead-status', String(response.status));
  if (error) return showError(error, response);
  show('lead-body', JSON.stringify(data, null, 2));
}

function showSimulation(job: Simulation, response: Response): void {
  show('simulation-status', job.status);
  show('simulation-preference', response.headers.get('Preference-Applied'));
}

async function runSimulation(): Promise<void> {
  const form = new FormData(byId<HTMLFormElement>('simulation-form'));
  const key = newIdempotencyKey();
  show('simulation-key', key);
  for (const id of ['simulation-location', 'simulation-status', 'simulation-range', 'simulation-height'])
    show(id, '');
  byId<SVGSVGElement>('plot').replaceChildren();

  const created = await client.POST('/simulations', {
    params: { header: { 'Idempotency-Key': key, Prefer: `wait=${WAIT_SECONDS}` } },
    body: {
      model: 'projectile-drag',
      massKg: 0.145,
      areaM2: 0.0042,
      dragCoefficient: Number(form.get('dragCoefficient')),
      speedMS: Number(form.get('speedMS')),
      angleDeg: Number(form.get('angleDeg')),
      heightM: 1.5,
      maxTimeS: 30,
      sampleIntervalS: 0.05,
    },
  });
  showRateLimit(created.response);
  if (created.error || !created.data) return showError(created.error, created.response);
  const location = created.response.headers.get('Location');
  show('simulation-location', location);
  let job = created.data;
  showSimulation(job, created.response);

  // Long-poll: each GET is held by the API until the job ends or the wait is over.
  while (!FINAL.has(job.status)) {
    const read = await client.GET('/simulations/{id}', {
      params: { path: { id: job.id }, header: { Prefer: `wait=${WAIT_SECONDS}` } },
    });
    showRateLimit(read.response);
    if (read.error || !read.data) return showError(read.error, read.response);
    job = read.data;
    showSimulation(job, read.response);
  }
  if (job.status !== 'succeeded')
    return showError(new Error(`The simulation ${job.status}: ${job.failureReason}`));

  const result = await client.GET('/simulations/{id}/result', { params: { path: { id: job.id } } });
  showRateLimit(result.response);
  if (result.error || !result.data) return showError(result.error, result.response);
  const { rangeM, maxHeightM, samples } = result.data.result;
  show('simulation-range', `${rangeM.toFixed(2)} m`);
  show('simulation-height', `${maxHeightM.toFixed(2)} m`);
  drawTrajectory(byId<SVGSVGElement>('plot'), samples);
}

function guarded(action: () => Promise<void>): (event: Event) => void {
  return (event) => {
    event.preventDefault();
    show('error', '');
    action().catch((error: unknown) => showError(error));
  };
}

show('api-url', apiBaseUrl);
byId('lead-form').addEventListener('submit', guarded(saveLead));
byId('lead-read').addEventListener('click', guarded(readLead));
byId('simulation-form').addEventListener('submit', guarded(runSimulation));
document.body.dataset.ready = 'true';
