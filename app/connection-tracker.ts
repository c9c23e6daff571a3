import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';

/** What shutdown needs to know about the server's sockets. */
export interface ConnectionTracker {
  /**
   * Destroys every socket that holds no request being answered: idle keep-alive sockets, sockets
   * still sending headers, and sockets whose request body is not complete. A client trickling
   * bytes (slowloris) would otherwise hold the shutdown to its deadline. Returns how many.
   */
  destroyIncomplete(): number;
  /** Sockets open now. */
  readonly size: number;
}

/**
 * Follows each socket of an http server and the request it is carrying. Node's
 * `closeIdleConnections()` only ends sockets between requests; a socket that has sent part of
 * a request counts as busy there, so shutdown needs to know which requests are complete.
 */
export function trackConnections(server: Server): ConnectionTracker {
  // null: no request on the socket (new, or between keep-alive requests).
  const sockets = new Map<Socket, IncomingMessage | null>();
  server.on('connection', (socket: Socket) => {
    sockets.set(socket, null);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('request', (req: IncomingMessage, res) => {
    const socket = req.socket;
    sockets.set(socket, req);
    res.once('finish', () => {
      if (sockets.get(socket) === req) sockets.set(socket, null);
    });
  });
  return {
    destroyIncomplete() {
      let destroyed = 0;
      for (const [socket, req] of sockets) {
        // A complete request is being handled: it keeps its socket until it is answered.
        if (req?.complete) continue;
        socket.destroy();
        sockets.delete(socket);
        destroyed += 1;
      }
      return destroyed;
    },
    get size() {
      return sockets.size;
    },
  };
}
