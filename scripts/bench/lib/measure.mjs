// Pure helpers: wrk's output, medians, spreads and summaries, /proc readings.
import { readFileSync, readdirSync } from 'node:fs'

const UNITS = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }

/** The figures in one wrk run's output. */
export function parseWrk (text) {
  const number = (re) => { const m = re.exec(text); return m === null ? 0 : Number(m[1]) }
  const transfer = /Transfer\/sec:\s+([\d.]+)([KMG]?B)/.exec(text)
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text)
  return {
    requests: number(/(\d+) requests in/),
    requestsPerSecond: number(/Requests\/sec:\s+([\d.]+)/),
    bytesPerSecond: transfer === null ? 0 : Number(transfer[1]) * UNITS[transfer[2]],
    connectErrors: errors === null ? 0 : Number(errors[1]),
    readErrors: errors === null ? 0 : Number(errors[2]),
    writeErrors: errors === null ? 0 : Number(errors[3]),
    timeouts: errors === null ? 0 : Number(errors[4]),
    non2xx: number(/Non-2xx or 3xx responses: (\d+)/)
  }
}

/** Sums the figures of wrk runs made side by side. */
export function sumWrk (runs) {
  const total = {}
  for (const run of runs) for (const [k, v] of Object.entries(run)) total[k] = (total[k] ?? 0) + v
  return total
}

export function median (values) {
  if (values.length === 0) return NaN
  const s = [...values].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** (max - min) / median: how far apart the repetitions were. */
export function spread (values) {
  const m = median(values)
  return values.length < 2 || m === 0 ? 0 : (Math.max(...values) - Math.min(...values)) / m
}

export function percentile (values, p) {
  if (values.length === 0) return NaN
  const s = [...values].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]
}

/**
 * Median and spread per contender, the ratios of the medians to two baselines, and the
 * ratio to the second one taken round by round (the contenders of a round measured seconds
 * apart, so a change of the shared machine's load moves both alike), median over the rounds.
 */
export function summarise (section, baseline, second) {
  section.summary = {}
  for (const [name, entries] of Object.entries(section.runs)) {
    const values = entries.map((e) => e.value)
    section.summary[name] = { median: median(values), spread: spread(values), errors: entries.reduce((s, e) => s + e.errors, 0) }
  }
  const base = section.summary[baseline]?.median
  const other = section.summary[second]?.median
  const rounds = section.runs[second]
  for (const [name, s] of Object.entries(section.summary)) {
    s.ratioToBaseline = base ? s.median / base : null
    s.ratioToSecond = other ? s.median / other : null
    s.pairedRatioToSecond = pairedRatio(section.runs[name], rounds)
  }
}

/** The median over rounds of entries[i].value / against[i].value; null without a full pairing. */
export function pairedRatio (entries, against) {
  if (!against || against.length !== entries.length || entries.length === 0) return null
  return median(entries.map((e, i) => e.value / against[i].value))
}

/** VmRSS and RssAnon of a process in bytes (0 when it is gone). */
export function memoryOf (pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (name) => { const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status); return m === null ? 0 : Number(m[1]) * 1024 }
    return { rss: kb('VmRSS'), anon: kb('RssAnon') }
  } catch {
    return { rss: 0, anon: 0 }
  }
}

/** CPU seconds (user + system) a process has used. */
export function cpuSecondsOf (pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return 0
  }
}

/** Pids of the processes named `comm` whose parent is `parent`. */
export function childrenNamed (parent, comm) {
  const found = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8')
      const name = /^Name:\s+(\S+)/m.exec(status)?.[1]
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1])
      if (name === comm && ppid === parent) found.push(Number(entry))
    } catch {
      // gone meanwhile
    }
  }
  return found
}

/** Summed memory of several processes. */
export function memoryOfAll (pids) {
  return pids.map(memoryOf).reduce((a, b) => ({ rss: a.rss + b.rss, anon: a.anon + b.anon }), { rss: 0, anon: 0 })
}
