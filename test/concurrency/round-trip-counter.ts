import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP relay between a client and Redis that counts round trips: a "turn" begins each time the
 * client writes after Redis has answered (or for the first time). Commands a client pipelines
 * reach the relay in one write and count as one turn; a command sent after waiting for an answer
 * starts another.
 */
export class RoundTripCounter {
  turns = 0;
  private answeredSinceLastWrite = true;
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {}

  static async start(target: { host: string; port: number }): Promise<RoundTripCounter> {
    const server = createServer();
    const counter = new RoundTripCounter(server);
    server.on('connection', (client) => {
      const upstream = createConnection(target);
      counter.sockets.add(client).add(upstream);
      client.on('data', (chunk) => {
        if (counter.answeredSinceLastWrite) counter.turns += 1;
        counter.answeredSinceLastWrite = false;
        upstream.write(chunk);
      });
      upstream.on('data', (chunk) => {
        counter.answeredSinceLastWrite = true;
        client.write(chunk);
      });
      for (const socket of [client, upstream]) {
        socket.on('error', () => {});
        socket.on('close', () => {
          client.destroy();
          upstream.destroy();
        });
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return counter;
  }

  get url(): string {
    const address = this.server.address();
    if (typeof address !== 'object' || !address) throw new Error('relay not listening');
    return `redis://127.0.0.1:${address.port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
