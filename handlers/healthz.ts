import { json } from './respond.js';
import type { HandlerFactory } from './types.js';

/**
 * Readiness for the ALB target group: 200 while serving, 503 once the process drains, so the load
 * balancer stops routing to it before it stops accepting connections.
 */
export const healthzHandler: HandlerFactory = ({ readiness }) => {
  return async () => {
    const ready = readiness.isReady();
    return json(ready ? 200 : 503, { status: ready ? 'ok' : 'draining' }, { 'cache-control': 'no-store' });
  };
};
