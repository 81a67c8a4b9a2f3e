/// <reference types="node" />
// A small static file server for the lab (no dependencies): serves a folder on 127.0.0.1,
// optionally under a sub-path, with the MIME types browsers insist on for ES modules and
// WebAssembly.
//
//   node scripts/serve.mjs --root . --port 8080
//   node scripts/serve.mjs --root dist --port 8091 --prefix /courses/lab/
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const root = resolve(opt('root', '.'));
const port = Number(opt('port', '8080'));
let prefix = opt('prefix', '/');
if (!prefix.startsWith('/')) prefix = `/${prefix}`;
if (!prefix.endsWith('/')) prefix += '/';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.bin': 'application/octet-stream',
  '.gz': 'application/gzip',
  '.ts': 'text/plain; charset=utf-8',
};

const server = createServer((req, res) => {
  let path;
  try {
    path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  } catch {
    res.writeHead(400).end('bad request');
    return;
  }
  if (!path.startsWith(prefix)) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found (the lab is under ${prefix})`);
    return;
  }
  let file = join(root, path.slice(prefix.length));
  if (file !== root && !file.startsWith(root + sep)) {
    res.writeHead(403).end('forbidden');
    return;
  }
  try {
    if (statSync(file).isDirectory()) file = join(file, 'index.html');
    statSync(file);
  } catch {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] || 'application/octet-stream',
    'cache-control': 'no-cache',
  });
  createReadStream(file).pipe(res);
});

server.on('error', (e) => {
  const why = /** @type {any} */ (e).code === 'EADDRINUSE' ? `port ${port} is already in use (is the lab already running?)` : e.message;
  console.error(`serve: ${why}`);
  process.exit(1);
});

server.listen(port, '127.0.0.1', () => {
  console.log(`Barriers Lab: http://127.0.0.1:${port}${prefix}  (serving ${root}; Ctrl-C stops)`);
});
