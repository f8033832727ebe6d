/**
 * A static file server for the demo on localhost (no dependencies). It sends the
 * cross-origin-isolation headers so that tfjs's wasm backend may use threads (SharedArrayBuffer).
 *
 *   npx tsx demo/serve.ts [--port 8080] [--dir demo/dist]   # prints the URL
 */
import { createReadStream, promises as fsp } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

export interface DemoServer {
  url: string;
  close(): Promise<void>;
}

/** Serves `root` on 127.0.0.1:`port` (0: any free port). */
export function serveDemo(root: string, port = 0, host = '127.0.0.1'): Promise<DemoServer> {
  const base = path.resolve(root);
  const server = http.createServer(async (req, res) => {
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cache-Control': 'no-cache',
    };
    try {
      const urlPath = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
      let file = path.join(base, urlPath);
      if (file !== base && !file.startsWith(base + path.sep)) throw Object.assign(new Error('outside'), { code: 'ENOENT' });
      if ((await fsp.stat(file)).isDirectory()) file = path.join(file, 'index.html');
      const st = await fsp.stat(file);
      res.writeHead(200, { ...headers, 'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream', 'Content-Length': st.size });
      if (req.method === 'HEAD') res.end();
      else createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' });
      res.end('not found\n');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: p } = server.address() as AddressInfo;
      resolve({
        url: `http://${host}:${p}/`,
        close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
      });
    });
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const dir = path.resolve(arg('--dir') ?? path.join(path.dirname(fileURLToPath(import.meta.url)), 'dist'));
  const wanted = Number(arg('--port') ?? process.env.PORT ?? 8080);
  try {
    await fsp.access(path.join(dir, 'index.html'));
  } catch {
    console.error(`${dir}/index.html is missing: build the demo first (npx tsx demo/build.ts)`);
    process.exit(1);
  }
  let s: DemoServer;
  try {
    s = await serveDemo(dir, wanted);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    s = await serveDemo(dir, 0);
    console.error(`port ${wanted} is busy, using another one`);
  }
  console.log(`tfjs-tcl demo: ${s.url}  (Ctrl-C to stop)`);
}
