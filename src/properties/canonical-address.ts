import { isIP } from 'node:net'

// RFC 1123 label: letters, digits and inner hyphens, 1..63 characters.
const HOST_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/
const ALL_DIGITS = /^\d+$/

/**
 * The canonical form of an output address, so that two spellings of one address compare
 * equal: IPv4 as is, IPv6 in RFC 5952 form (lower case, zeros compressed, brackets
 * stripped, a zone id kept as given), a host name in lower case without a trailing dot.
 * Returns undefined when `text` is none of these.
 */
export function canonicalAddress (text: string): string | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text
  const family = isIP(bare)
  if (family === 6) return canonicalIPv6(bare)
  // Brackets only ever wrap an IPv6 address.
  if (bare !== text) return undefined
  if (family === 4) return bare
  return canonicalHostName(bare)
}

/** RFC 5952 text of an IPv6 address that node:net's isIP accepts (zone id kept as given). */
export function canonicalIPv6 (address: string): string {
  const zoneAt = address.indexOf('%')
  const zone = zoneAt === -1 ? '' : address.slice(zoneAt)
  const groups = ipv6Groups((zoneAt === -1 ? address : address.slice(0, zoneAt)).toLowerCase())
  return formatIPv6(groups) + zone
}

function canonicalHostName (name: string): string | undefined {
  const lower = (name.endsWith('.') ? name.slice(0, -1) : name).toLowerCase()
  if (lower.length === 0 || lower.length > 253) return undefined
  const labels = lower.split('.')
  if (!labels.every((label) => HOST_LABEL.test(label))) return undefined
  // An all-digit last label is a mistyped IPv4 address (10.11.12.256), not a host name.
  if (ALL_DIGITS.test(labels[labels.length - 1] ?? '')) return undefined
  return lower
}

/** The eight 16-bit groups of a valid IPv6 address (lower case, no zone), an embedded IPv4 tail included. */
export function ipv6Groups (address: string): number[] {
  const [head = '', tail] = address.split('::')
  const headGroups = hexGroups(head)
  const tailGroups = tail === undefined ? [] : hexGroups(tail)
  const zeros = new Array<number>(8 - headGroups.length - tailGroups.length).fill(0)
  return [...headGroups, ...zeros, ...tailGroups]
}

function hexGroups (part: string): number[] {
  if (part === '') return []
  return part.split(':').flatMap((piece) => {
    if (!piece.includes('.')) return [Number.parseInt(piece, 16)]
    const [a = 0, b = 0, c = 0, d = 0] = piece.split('.').map(Number)
    return [a * 256 + b, c * 256 + d]
  })
}

function formatIPv6 (groups: number[]): string {
  // RFC 5952 §5: an IPv4-mapped address keeps its dotted tail.
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    const high = groups[6] ?? 0
    const low = groups[7] ?? 0
    return `::ffff:${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`
  }
  const { start, length } = longestZeroRun(groups)
  const hex = groups.map((group) => group.toString(16))
  if (length < 2) return hex.join(':')
  return `${hex.slice(0, start).join(':')}::${hex.slice(start + length).join(':')}`
}

// RFC 5952 §4.2: compress the longest run of two or more zero groups, the first on a tie.
function longestZeroRun (groups: number[]): { start: number, length: number } {
  let best = { start: 0, length: 0 }
  let start = -1
  for (let i = 0; i <= groups.length; i++) {
    if (i < groups.length && groups[i] === 0) {
      if (start === -1) start = i
      continue
    }
    if (start !== -1 && i - start > best.length) best = { start, length: i - start }
    start = -1
  }
  return best
}
