// The hand-tuned HAProxy contender: a config written for each case, from what
// HAPROXY-NOTES measured on this kind of machine (docs/tuning.md).

/** Settings per case: small requests want plain 16 kB buffers, bulk wants splicing. */
export const TUNED = {
  keepalive: { bufsize: 16384, splice: false },
  close: { bufsize: 16384, splice: false },
  bulk: { bufsize: 32768, splice: true },
  sessions: { bufsize: 16384, splice: false }
}

/** The config text for `caseName`, listening on `listen`, round robin over `servers`. */
export function tunedConfig (caseName, listen, servers, statsSocket) {
  const t = TUNED[caseName] ?? TUNED.keepalive
  return [
    'global',
    '  maxconn 9800',
    '  nbthread 2',
    `  stats socket ${statsSocket} mode 600 level admin`,
    `  tune.bufsize ${t.bufsize}`,
    ...(t.splice ? ['  maxpipes 150'] : []),
    'defaults',
    '  mode tcp',
    '  timeout connect 20s',
    '  timeout client 150s',
    '  timeout server 150s',
    '  retries 3',
    '  option redispatch 1',
    ...(t.splice ? ['  option splice-request', '  option splice-response'] : []),
    'frontend in',
    `  bind ${listen}`,
    '  maxconn 9800',
    '  backlog 4096',
    '  default_backend outputs',
    'backend outputs',
    '  balance roundrobin',
    ...servers.map((s, i) => `  server out${i + 1} ${s} check inter 2s`),
    ''
  ].join('\n')
}
