// nginx for the benchmark: the HTTP back ends and the stream-module contender. Every file
// it writes (config, pid, logs, temp folders) lives in the folder it is given.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const STREAM_MODULE = '/usr/lib/nginx/modules/ngx_stream_module.so'

// What every nginx here shares: foreground, files in `dir`, no system paths.
function head (dir, workers) {
  return [
    'daemon off;',
    'master_process on;',
    `worker_processes ${workers};`,
    `pid ${join(dir, 'nginx.pid')};`,
    `error_log ${join(dir, 'error.log')} warn;`,
    'worker_rlimit_nofile 20000;',
    'events { worker_connections 12000; multi_accept on; }'
  ]
}

/** An HTTP back end serving /small (100 bytes) and /big (1 MiB) on `address:port`. */
export function writeBackendConfig (dir, address, port) {
  const www = join(dir, 'www')
  mkdirSync(www, { recursive: true })
  writeFileSync(join(www, 'small'), 'x'.repeat(99) + '\n')
  writeFileSync(join(www, 'big'), Buffer.alloc(1024 * 1024, 0x62))
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((name) => `${name}_temp_path ${join(dir, `${name}-temp`)};`)
  const conf = [
    ...head(dir, 1),
    'http {',
    '  access_log off;',
    `  ${temp.join('\n  ')}`,
    '  default_type application/octet-stream;',
    '  sendfile on;',
    '  tcp_nopush on;',
    // idle sessions are held open for the memory case: no early close for a silent client
    '  client_header_timeout 300s;',
    '  keepalive_timeout 300s;',
    '  keepalive_requests 10000000;',
    `  server { listen ${address}:${port} backlog=8192 reuseport; root ${www}; }`,
    '}'
  ].join('\n')
  writeFileSync(join(dir, 'nginx.conf'), conf + '\n')
  return join(dir, 'nginx.conf')
}

/** nginx's stream module proxying `listen` round robin over `servers` (host:port). */
export function writeStreamConfig (dir, listen, servers) {
  mkdirSync(dir, { recursive: true })
  const conf = [
    `load_module ${STREAM_MODULE};`,
    ...head(dir, 2),
    'stream {',
    `  upstream outputs { ${servers.map((s) => `server ${s};`).join(' ')} }`,
    `  server { listen ${listen} backlog=8192; proxy_pass outputs; }`,
    '}'
  ].join('\n')
  writeFileSync(join(dir, 'nginx.conf'), conf + '\n')
  return join(dir, 'nginx.conf')
}

/** The arguments that run nginx on `conf` with its prefix and error log in `dir`. */
export function nginxArgs (dir, conf) {
  return ['-p', dir, '-e', join(dir, 'error.log'), '-c', conf]
}

/** The master's pid from its pid file, or undefined. */
export function readPid (dir) {
  try {
    return Number(readFileSync(join(dir, 'nginx.pid'), 'utf8').trim())
  } catch {
    return undefined
  }
}
