import { type Logger, pino } from 'pino';

/**
 * One JSON line per event on stdout: CloudWatch Logs (awslogs on ECS, Lambda) takes them as they are.
 *
 * The lines go to file descriptor 1 through pino's own writer (sonic-boom), named here rather than
 * found: pino's default reads `process.stdout.fd` to find it, and the first read of
 * `process.stdout` builds Node's stdout stream (a net or tty stream and what it loads), about
 * 1 ms of every Lambda cold start for a stream nothing writes through.
 *
 * On Lambda every line is written before the call returns (`sync`), as pino advises there: the
 * runtime freezes the process once the handler answers, and a line still buffered would reach
 * CloudWatch late, with the next invocation, or never. Elsewhere writes are asynchronous, flushed
 * when the process exits.
 */
export function createLogger(options: {
  level: string;
  env: string;
  runtime: 'ecs' | 'lambda' | 'cli';
}): Logger {
  return pino(
    {
      level: options.level,
      base: { env: options.env, runtime: options.runtime },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ dest: 1, sync: options.runtime === 'lambda' }),
  );
}
