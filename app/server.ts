import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import { ecsInvocationResolver } from '../adapters/invocation.js';
import { environmentRouting } from '../infra/environments.js';
import { type AppConfig, loadConfig } from './config.js';
import { trackConnections } from './connection-tracker.js';
import { createApp } from './create-app.js';
import { expressServerClasses } from './express-server-classes.js';
import { drainAndClose } from './graceful-shutdown.js';
import { HTTP_SERVER_OPTIONS } from './http-server-options.js';
import { createLogger } from './logger.js';
import { formatRouteTable, resolveRouteTargets } from './route-targets.js';
import { routes } from './routes.js';
import { createRuntimeDeps, type RuntimeDeps } from './runtime-deps.js';

/** ALB's idle timeout is 60 s: keep-alive sockets must outlive it or the ALB sees resets (502s). */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/**
 * The ALB reads a request's headers before it picks a target, so they reach us at once; a client
 * still sending headers after 10 s is holding a socket, not making a request. Node answers 408.
 */
const HEADERS_TIMEOUT_MS = 10_000;
/**
 * The whole request, body included, as a backstop: each route reads its body within its own
 * deadline (adapters/lambda-to-express.ts), and no route's deadline is longer than this.
 */
const REQUEST_TIMEOUT_MS = 30_000;
/** How often Node checks those two timeouts (its default, 30 s, would let them overrun by as much). */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

export interface RunningServer {
  readonly server: Server;
  readonly port: number;
  readonly deps: RuntimeDeps;
  /** Drains and stops; see app/graceful-shutdown.ts. */
  shutdown(options?: { drainMs?: number }): Promise<{ clean: boolean }>;
}

/** The ECS entry: the Express app behind a Node http server, with graceful shutdown. */
export async function startServer(config: AppConfig, logger: Logger): Promise<RunningServer> {
  const deps = createRuntimeDeps(config, logger);
  const app = createApp(deps, {
    resolveInvocation: ecsInvocationResolver({
      stage: config.env,
      functionName: `api-${config.env}`,
      trustForwardedFor: config.trustForwardedFor,
    }),
    maxBodyBytes: config.maxBodyBytes,
    guards: deps.guards,
    cors: config.cors,
  });
  const server = createServer(
    {
      ...HTTP_SERVER_OPTIONS,
      // Requests and responses made with Express's prototypes already (app/express-server-classes.ts).
      ...expressServerClasses(app),
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    },
    (req, res) => {
      // While draining, every answer closes its connection so clients reconnect to a healthy task.
      if (deps.readiness.draining) res.setHeader('connection', 'close');
      app(req, res);
    },
  );
  const connections = trackConnections(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let shuttingDown: Promise<{ clean: boolean }> | undefined;
  return {
    server,
    port,
    deps,
    shutdown(options = {}) {
      shuttingDown ??= drainAndClose(
        server,
        deps.readiness,
        { drainMs: options.drainMs ?? config.shutdown.drainMs, timeoutMs: config.shutdown.timeoutMs },
        {
          onDrainStart: () => deps.jobsRuntime.stopLaunching(),
          closeClients: (budgetMs) => deps.close(budgetMs),
          connections,
        },
        logger,
      );
      return shuttingDown;
    },
  };
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, env: config.env, runtime: 'ecs' });
  const running = await startServer(config, logger);
  const assignments = resolveRouteTargets(routes, {
    environment: environmentRouting[config.env]?.routeTargets ?? {},
  });
  process.stdout.write(
    `\nRoutes (${config.env}):\n${formatRouteTable(assignments)}\n\nListening on http://localhost:${running.port}\n\n`,
  );
  logger.info({ port: running.port, store: running.deps.redis ? 'redis' : 'memory' }, 'listening');

  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'signal received');
    // Ctrl-C at a terminal needs no load balancer drain; SIGTERM (ECS, Spot) does.
    const drainMs = signal === 'SIGINT' ? 0 : undefined;
    // Shutdown bounds every step; this is the last resort should the event loop itself be stuck.
    setTimeout(() => {
      logger.error({ timeoutMs: config.shutdown.timeoutMs }, 'shutdown: deadline passed; exiting');
      process.exit(1);
    }, config.shutdown.timeoutMs).unref();
    running.shutdown({ drainMs }).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
