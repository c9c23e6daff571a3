import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly logs: string[];
  readonly exited: Promise<number | null>;
}

/**
 * Starts the ECS server — `app/server.ts` as `npm start` does, or another command such as the
 * built bundle — on a free port, and waits for its "listening" line.
 */
export async function startServerProcess(
  env: Record<string, string>,
  command: readonly string[] = ['node', '--import', 'tsx', join(root, 'app', 'server.ts')],
): Promise<ServerProcess> {
  const [program, ...args] = command;
  const child = spawn(program === 'node' ? process.execPath : (program as string), args, {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', REDIS_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    // Generous: on a loaded 2-core machine compiling the app through tsx alone has taken over 20 s.
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${logs.join('')}`)), 60_000);
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      logs.push(chunk.toString());
      for (const line of buffered.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const parsed = JSON.parse(line) as { msg?: string; port?: number };
          if (parsed.msg === 'listening' && parsed.port) {
            clearTimeout(timer);
            resolve(parsed.port);
          }
        } catch {
          // a partial line; the rest comes with the next chunk
        }
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${logs.join('')}`)));
  });
  return { child, port, logs, exited };
}
