import { Agent, request } from 'node:http';
import { count, emptyTally, type Tally } from './matrix.js';

export interface LoadRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: string;
}

export interface Answer {
  readonly sentAt: number;
  readonly ms: number;
  readonly status: number | undefined;
  readonly body: string;
}

/** One request; `status` undefined when no HTTP answer came (reset, refused, timed out). */
export function send(port: number, req: LoadRequest, agent: Agent, timeoutMs = 15_000): Promise<Answer> {
  const sentAt = Date.now();
  return new Promise((resolve) => {
    const done = (status: number | undefined, body: string) =>
      resolve({ sentAt, ms: Date.now() - sentAt, status, body });
    const r = request(
      {
        host: '127.0.0.1',
        port,
        path: req.path,
        method: req.method,
        agent,
        timeout: timeoutMs,
        headers: req.body === undefined ? {} : { 'content-type': 'application/json' },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => done(res.statusCode, body));
        res.on('error', () => done(undefined, body));
      },
    );
    r.on('timeout', () => r.destroy(new Error('timeout')));
    r.on('error', () => done(undefined, ''));
    r.end(req.body);
  });
}

/**
 * Closed-loop load: `workers` clients on keep-alive sockets, each sending its next request as
 * soon as the last is answered, until stopped. It stands for the traffic an ALB sends a target.
 */
export class Load {
  readonly answers: Answer[] = [];
  private running = true;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private readonly done: Promise<void>;

  constructor(
    private readonly port: number,
    workers: number,
    next: (worker: number, i: number) => LoadRequest,
  ) {
    this.done = Promise.all(
      Array.from({ length: workers }, async (_, worker) => {
        for (let i = 0; this.running; i += 1) {
          const answer = await send(this.port, next(worker, i), this.agent);
          this.answers.push(answer);
          // Refused: the target is gone; a real client would back off, so do not spin.
          if (answer.status === undefined) await new Promise((r) => setTimeout(r, 50));
        }
      }),
    ).then(() => {});
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
    this.agent.destroy();
  }

  /** What came back for requests sent in [from, to). */
  tally(from = 0, to = Number.POSITIVE_INFINITY): { answered: Tally; slowestMs: number } {
    const answered = emptyTally();
    let slowestMs = 0;
    for (const a of this.answers) {
      if (a.sentAt < from || a.sentAt >= to) continue;
      count(answered, a.status);
      slowestMs = Math.max(slowestMs, a.ms);
    }
    return { answered, slowestMs };
  }
}

/**
 * An ALB-like health checker: /healthz every `intervalMs`; after `unhealthyAfter` failures in a
 * row the target is out and `onOut` runs (the load stops being routed to it).
 */
export async function healthCheckUntilOut(
  port: number,
  options: { intervalMs: number; unhealthyAfter: number; giveUpMs: number },
): Promise<number | undefined> {
  const agent = new Agent({ keepAlive: false });
  const deadline = Date.now() + options.giveUpMs;
  let failures = 0;
  while (Date.now() < deadline) {
    const answer = await send(port, { method: 'GET', path: '/healthz' }, agent, 2_000);
    failures = answer.status === 200 ? 0 : failures + 1;
    if (failures >= options.unhealthyAfter) return Date.now();
    await new Promise((r) => setTimeout(r, options.intervalMs));
  }
  return undefined;
}
