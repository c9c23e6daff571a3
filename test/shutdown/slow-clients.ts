import { connect, type Socket } from 'node:net';

/**
 * Hostile clients for shutdown and timeout tests: each opens a socket and sends its request a
 * byte at a time, as slowloris does, so the request is never complete.
 */
export type SlowKind = 'headers' | 'body' | 'idle';

export interface SlowClient {
  readonly socket: Socket;
  /** Resolves when the server closed or reset the socket, with what it had answered. */
  readonly ended: Promise<{ at: number; response: string }>;
  stop(): void;
}

export function openSlowClient(port: number, kind: SlowKind, intervalMs: number): SlowClient {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  let response = '';
  socket.on('data', (chunk: Buffer) => {
    response += chunk.toString('latin1');
  });
  const ended = new Promise<{ at: number; response: string }>((resolve) =>
    socket.once('close', () => resolve({ at: Date.now(), response })),
  );
  const head =
    kind === 'body'
      ? 'POST /leads/slow HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{'
      : 'GET /leads/slow HTTP/1.1\r\nhost: x\r\nx-slow: ';
  let timer: NodeJS.Timeout | undefined;
  socket.once('connect', () => {
    if (kind === 'idle') return;
    socket.write(head);
    timer = setInterval(() => {
      if (!socket.destroyed) socket.write(kind === 'body' ? ' ' : 'x');
    }, intervalMs);
  });
  return {
    socket,
    ended,
    stop() {
      clearInterval(timer);
      socket.destroy();
    },
  };
}
