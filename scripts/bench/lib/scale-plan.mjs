// The scale case's plan, pure: which server has which address, the service files l3lb reads
// and the hand-written HAProxy config of the same size that it is compared with.

/** The greeters' port in every back-end namespace (tools/greeter.mjs). */
export const GREETER_PORT = 9000
/** The first service's port; service i listens on FIRST_PORT + i. */
export const FIRST_PORT = 10000
/** Server names inside a service, in order (SPEC §11: [a-z0-9_]{1,32}). */
const SERVER_NAMES = 'abcdefghijklmnopqrstuvwxyz'.split('')
/** Addresses per /24 used in a back end's range: .1 to .250. */
const PER_SUBNET = 250
/** Each back-end namespace k holds the /22 198.18.(100 + 4k).0: room for 1,000 addresses. */
const SUBNETS_PER_BACKEND = 4

/** The /22 routed to back end `k` (0-based) from the lb namespace. */
export function backendRange (k) {
  return `198.18.${100 + SUBNETS_PER_BACKEND * k}.0/22`
}

/** The `n`-th address of back end `k`'s range (0-based), 198.18.(100 + 4k + n / 250).(1 + n % 250). */
export function backendAddress (k, n) {
  if (n >= PER_SUBNET * SUBNETS_PER_BACKEND) throw new Error(`address ${n} of back end ${k} is past the ${PER_SUBNET * SUBNETS_PER_BACKEND} its /22 holds`)
  return `198.18.${100 + SUBNETS_PER_BACKEND * k + Math.floor(n / PER_SUBNET)}.${1 + (n % PER_SUBNET)}`
}

/**
 * `services` services with `servers` servers in all, spread as evenly as they go (the first
 * ones get one more), each server on its own address, the addresses dealt over `backends`
 * back ends in turn; then `spares` more addresses no server has yet (for the changes).
 */
export function scalePlan ({ services, servers, backends, spares = 2 }) {
  if (servers < services) throw new Error(`${servers} servers cannot give each of ${services} services one`)
  const perBackend = Array.from({ length: backends }, () => [])
  let next = 0
  const address = () => {
    const k = next % backends
    const a = backendAddress(k, Math.floor(next / backends))
    next++
    perBackend[k].push(a)
    return a
  }
  const list = []
  for (let i = 0; i < services; i++) {
    const count = Math.floor(servers / services) + (i < servers % services ? 1 : 0)
    if (count > SERVER_NAMES.length) throw new Error(`${count} servers in one service: at most ${SERVER_NAMES.length} are named`)
    list.push({
      name: `s${String(i).padStart(3, '0')}`,
      port: FIRST_PORT + i,
      servers: Array.from({ length: count }, (_, j) => ({ name: SERVER_NAMES[j], address: address() }))
    })
  }
  const spare = Array.from({ length: spares }, address)
  return { services: list, spare, perBackend, ports: `${FIRST_PORT}-${FIRST_PORT + services - 1}` }
}

/** A service's file (SPEC §11), TCP round robin on its own port. */
export function serviceFileText (service, healthcheckInterval = 2) {
  return [
    'mode=tcp_roundrobin',
    `ports=${service.port}`,
    `healthcheck_interval=${healthcheckInterval}`,
    ...service.servers.map((s) => `server_${s.name}=${s.address}:${GREETER_PORT}${s.weight === undefined ? '' : ` weight=${s.weight}`}`),
    ''
  ].join('\n')
}

/** The same services by hand: plain frontends and backends, checks as often as l3lb's, no l3lb. */
export function bareHaproxyConfig (services, listenAddress, statsSocket, healthcheckInterval = 2) {
  const lines = [
    'global',
    '  maxconn 9000',
    `  stats socket ${statsSocket} mode 600 level admin`,
    'defaults',
    '  mode tcp',
    '  timeout connect 5s',
    '  timeout client 50s',
    '  timeout server 50s'
  ]
  for (const service of services) {
    lines.push(
      `frontend ${service.name}`,
      `  bind ${listenAddress}:${service.port}`,
      `  default_backend ${service.name}`,
      `backend ${service.name}`,
      '  balance roundrobin',
      ...service.servers.map((s) => `  server ${s.name} ${s.address}:${GREETER_PORT} check inter ${healthcheckInterval}s`)
    )
  }
  return lines.join('\n') + '\n'
}

/** `ip -batch` input adding `addresses` to `device` as /32s. */
export function addressBatch (addresses, device) {
  return addresses.map((a) => `address add ${a}/32 dev ${device}\n`).join('')
}

/** `plan` with service `name`'s server `server` moved to `address`: the SIGHUP's one change. */
export function withServerAddress (plan, name, server, address) {
  return {
    ...plan,
    services: plan.services.map((s) => s.name !== name ? s : { ...s, servers: s.servers.map((v) => v.name === server ? { ...v, address } : v) })
  }
}
