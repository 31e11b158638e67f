/** The agent's version: package.json's, which the package build also takes (so a rebuilt package is an upgrade). */
import { readFileSync } from 'node:fs'

let version: string | null = null

/** Read once, when first asked: nothing at boot needs it. */
export function agentVersion (): string {
  if (version === null) {
    try {
      version = String((JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown }).version ?? 'unknown')
    } catch {
      version = 'unknown'
    }
  }
  return version
}
