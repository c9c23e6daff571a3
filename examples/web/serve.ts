import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

/**
 * `npm run web`: serves the example frontend on its own port, so it is a real cross-origin client
 * of `npm start`. The page's script is bundled from TypeScript by esbuild when the server starts.
 *
 * WEB_PORT (default 8417) and WEB_HOST (default 127.0.0.1) say where the page is served;
 * API_URL (default http://localhost:3000) which API it calls.
 */
const here = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

export interface WebServer {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

export async function startWebServer(options: {
  apiUrl: string;
  port?: number;
  host?: string;
}): Promise<WebServer> {
  const bundle = await build({
    entryPoints: [here('./src/main.ts')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    write: false,
    sourcemap: 'inline',
    logLevel: 'silent',
  });
  const script = bundle.outputFiles[0]?.contents;
  if (!script) throw new Error('esbuild produced no bundle for examples/web/src/main.ts');
  const html = (await readFile(here('./index.html'), 'utf8')).replace(
    '__API_BASE_URL__',
    options.apiUrl.replace(/\/+$/, '').replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`),
  );

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/' || path === '/index.html') {
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
        .end(html);
    } else if (path === '/app.js') {
      res
        .writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' })
        .end(Buffer.from(script));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function main(): Promise<void> {
  const apiUrl = process.env.API_URL || 'http://localhost:3000';
  const port = Number(process.env.WEB_PORT || 8417);
  const host = process.env.WEB_HOST || '127.0.0.1';
  const web = await startWebServer({ apiUrl, port, host });
  process.stdout.write(
    `Example frontend on ${web.url} calling the API at ${apiUrl} (start it with npm start)\n`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
