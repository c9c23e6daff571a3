import { type Logger, pino } from 'pino';

/** One JSON line per event on stdout: CloudWatch Logs (awslogs on ECS, Lambda) takes them as they are. */
export function createLogger(options: {
  level: string;
  env: string;
  runtime: 'ecs' | 'lambda' | 'cli';
}): Logger {
  return pino({
    level: options.level,
    base: { env: options.env, runtime: options.runtime },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
