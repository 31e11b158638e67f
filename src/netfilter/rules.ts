/**
 * Applies and removes l3lb's iptables rules (udp_roundrobin) with iptables-restore.
 *
 * Invariants:
 * - only l3lb's chains (L3LB_CHAINS and the UDP services' L3LB-SPREAD-<n>) and its jumps (L3LB_JUMPS) are ever written;
 *   other rules, even in the same built-in chains, are left as they are;
 * - a rules text is checked (contract, then `iptables-restore --test`) before
 *   anything changes; if the real apply then fails, l3lb's previous rules are put
 *   back, since iptables-restore commits table by table (docs/netfilter.md);
 * - each jump exists once, first in its built-in chain, after every apply;
 * - one apply or removal at a time: callers serialize them (the agent's one change queue,
 *   reconcile/change-queue.ts), since each reads the rules, then writes them.
 */
import { L3lbError } from '../errors.js'
import type { IpFamily } from '../render/iptables-chains.js'
import { commandFailed, runProgram, type NetfilterOptions } from './command.js'
import {
  describeRestoreFailure, jumpFixText, l3lbLines, parseSave, removalText, rollbackText,
  rulesTextProblems, withStaleChainsDeleted, type SavedRuleset
} from './ruleset.js'

const PROGRAMS = {
  4: { restore: 'iptables-restore', save: 'iptables-save' },
  6: { restore: 'ip6tables-restore', save: 'ip6tables-save' }
} as const

// Waits for the xtables lock that the legacy backend takes; nf_tables ignores it.
const WAIT = '--wait=10'

async function save (family: IpFamily, options: NetfilterOptions): Promise<string> {
  const program = PROGRAMS[family].save
  const result = await runProgram(program, [], options)
  if (result.exitCode !== 0) throw commandFailed('could not read the iptables rules', options.command ?? [], program, [], result)
  return result.stdout
}

/** Feeds `text` to iptables-restore --noflush; the failure's description, or undefined on success. */
async function restore (family: IpFamily, text: string, options: NetfilterOptions, test = false): Promise<string | undefined> {
  const args = [WAIT, ...(test ? ['--test'] : []), '--noflush']
  const result = await runProgram(PROGRAMS[family].restore, args, { ...options, input: text })
  return result.exitCode === 0 ? undefined : describeRestoreFailure(result.stderr, text)
}

/** Puts l3lb's chains back as `before` had them; the failure's description, or undefined. */
async function rollBack (family: IpFamily, before: SavedRuleset, options: NetfilterOptions): Promise<string | undefined> {
  try {
    const text = rollbackText(before, parseSave(await save(family, options)))
    return text === '' ? undefined : await restore(family, text, options)
  } catch (error) {
    return (error as Error).message
  }
}

async function fixJumps (family: IpFamily, options: NetfilterOptions): Promise<void> {
  const text = jumpFixText(parseSave(await save(family, options)))
  if (text === '') return
  const failure = await restore(family, text, options)
  if (failure !== undefined) throw new Error(`${PROGRAMS[family].restore} refused the jumps into l3lb's chains: ${failure}`)
}

/**
 * Replaces l3lb's rules for `family` with `text` (iptables-restore input that
 * declares and fills every chain of L3LB_CHAINS and nothing else), then makes sure
 * each jump of L3LB_JUMPS is there once, first in its built-in chain. A UDP service's chain
 * that `text` no longer declares is deleted in the same commit. Throws
 * L3LB_RULES_INVALID, with nothing changed, when the text breaks the contract or
 * `iptables-restore --test` refuses it; L3LB_RULES_APPLY, after putting the
 * previous rules back, when the real apply fails.
 */
export async function applyRules (family: IpFamily, text: string, options: NetfilterOptions = {}): Promise<void> {
  const problems = rulesTextProblems(text)
  if (problems.length > 0) {
    throw new L3lbError('L3LB_RULES_INVALID', `the IPv${family} rules text breaks l3lb's chain contract; nothing was changed:\n${problems.join('\n')}`)
  }
  const before = parseSave(await save(family, options))
  // a UDP service whose file went loses its chain in the same commit
  const input = withStaleChainsDeleted(text, before)
  const refused = await restore(family, input, options, true)
  if (refused !== undefined) {
    throw new L3lbError('L3LB_RULES_INVALID', `${PROGRAMS[family].restore} --test refused the IPv${family} rules; nothing was changed: ${refused}`)
  }
  try {
    const failure = await restore(family, input, options)
    if (failure !== undefined) throw new Error(`${PROGRAMS[family].restore} refused the IPv${family} rules: ${failure}`)
    await fixJumps(family, options)
  } catch (error) {
    const rollbackFailure = await rollBack(family, before, options)
    const outcome = rollbackFailure === undefined
      ? 'the previous rules were put back'
      : `putting the previous rules back failed too: ${rollbackFailure}`
    throw new L3lbError('L3LB_RULES_APPLY', `${(error as Error).message}; ${outcome}`, { cause: error })
  }
}

/**
 * Deletes every jump of L3LB_JUMPS (all copies) and every chain of l3lb (services' too) for
 * `family`, in one iptables-restore run. Nothing there is not an error.
 */
export async function removeRules (family: IpFamily, options: NetfilterOptions = {}): Promise<void> {
  const text = removalText(parseSave(await save(family, options)))
  if (text === '') return
  const failure = await restore(family, text, options)
  if (failure !== undefined) {
    throw new L3lbError('L3LB_RULES_APPLY', `${PROGRAMS[family].restore} could not remove l3lb's IPv${family} rules: ${failure}`)
  }
}

/** The lines of `iptables-save` (`ip6tables-save` for 6) that mention an l3lb chain, one per line; '' when none. */
export async function listRules (family: IpFamily, options: NetfilterOptions = {}): Promise<string> {
  return l3lbLines(await save(family, options)).join('\n')
}
