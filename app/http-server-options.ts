import type { ServerOptions } from 'node:http';

/**
 * Options of the ECS http server that make it accept what the ALB forwards. The ALB takes up to
 * 64 KB of request line and headers in all ("Quotas for your Application Load Balancers", HTTP
 * header limits), and Lambda behind it is given the same; Node's default of 16 KB would make ECS
 * alone answer 431 between the two.
 */
export const MAX_HEADER_BYTES = 64 * 1024;

export const HTTP_SERVER_OPTIONS: ServerOptions = { maxHeaderSize: MAX_HEADER_BYTES };
