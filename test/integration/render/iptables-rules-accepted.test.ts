// The rendered UDP rules against the real iptables-restore and ip6tables-restore, in --test
// mode inside a namespace of this test's own: the host's rules are never read or changed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execa } from 'execa'
import type { IpFamily } from '../../../src/render/iptables-chains.js'
import { renderIptablesRules } from '../../../src/render/iptables-rules.js'
import type { DesiredState } from '../../../src/state/desired.js'
import { stateFrom } from '../../support/fixtures.js'
import { namespaceName } from '../../support/run-id.js'

const UDP = 'mode=udp_roundrobin\n'
const COMMAND_TIMEOUT_MS = 30_000

let namespaces = 0

// Runs `check` with a new empty namespace, which is removed afterwards, passed or failed.
async function inNamespace (check: (namespace: string) => Promise<void>): Promise<void> {
  namespaces += 1
  const namespace = namespaceName(900 + namespaces, 'rules')
  await execa('ip', ['netns', 'add', namespace], { timeout: COMMAND_TIMEOUT_MS })
  try {
    await check(namespace)
  } finally {
    await execa('ip', ['netns', 'del', namespace], { timeout: COMMAND_TIMEOUT_MS, reject: false })
  }
}

// Both families' text through the matching restore command, as the adapter will run it but with --test.
async function assertAccepted (state: DesiredState): Promise<void> {
  await inNamespace(async (namespace) => {
    for (const family of [4, 6] as const satisfies readonly IpFamily[]) {
      const text = renderIptablesRules(state, family)
      const command = family === 4 ? 'iptables-restore' : 'ip6tables-restore'
      const result = await execa('ip', ['netns', 'exec', namespace, command, '--test', '--noflush'], { input: text, reject: false, timeout: COMMAND_TIMEOUT_MS })
      assert.equal(result.exitCode, 0, `${command} --test refused:\n${result.stderr}\n--- input ---\n${text}`)
    }
  })
}

// `out1=198.18.1.2` ... for N = 1..count.
function outputs (count: number): string {
  return Array.from({ length: count }, (_, i) => `out${i + 1}=198.18.${i + 1}.2\n`).join('')
}

test('the restore commands refuse what they should, so an accepted text means something', async () => {
  await inNamespace(async (namespace) => {
    const bad = '*nat\n:L3LB-SPREAD - [0:0]\n-A L3LB-SPREAD -j DNAT --to-destination fd00:1b::2\nCOMMIT\n'
    const result = await execa('ip', ['netns', 'exec', namespace, 'iptables-restore', '--test', '--noflush'], { input: bad, reject: false, timeout: COMMAND_TIMEOUT_MS })
    assert.notEqual(result.exitCode, 0, 'iptables-restore --test took an IPv6 DNAT destination')
  })
})

test('eight outputs on one port, every local address', async () => {
  await assertAccepted(stateFrom(UDP + 'ports=5060\n' + outputs(8)))
})

test('three outputs on 1000 ports in 500 ranges, on given in addresses of both families', async () => {
  const ranges = Array.from({ length: 500 }, (_, i) => `${10000 + 3 * i}-${10001 + 3 * i}`).join(',')
  const state = stateFrom(UDP + `ports=${ranges}\nin_addr=198.18.0.1 fd00:1b::1\n` + outputs(3))
  assert.equal(renderIptablesRules(state, 4).split('\n').filter((line) => line.startsWith('-A L3LB-POSTROUTING ')).length, 500)
  await assertAccepted(state)
})

test('IPv6 and mixed outputs with backups, udp_snat off', async () => {
  await assertAccepted(stateFrom(UDP + 'ports=53,5060-5070\nudp_snat=off\n' +
    'out1=fd00:1b:0:1::2\nout2=198.18.2.2\nout3=fd00:1b:0:3::2\nout4=fd00:1b:0:4::2\nbackup_outputs=out4\n', ['out1', 'out3']))
})

test('no available output and an in address of one family only', async () => {
  await assertAccepted(stateFrom(UDP + 'in_addr=198.18.0.1\n' + outputs(2), ['out1', 'out2']))
})
