import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { icmpProbe, PROBE_GRACE_MS } from '../../../src/health/icmp-probe.js'
import { isL3lbError } from '../../../src/errors.js'

// Stands in for ping behind the `command` prefix: exits as told when given exactly the expected argv.
function fakePing (expected: readonly string[], behaviour: 'exit 0' | 'exit 1' | 'hang'): readonly string[] {
  const program = `
    const given = JSON.stringify(process.argv.slice(1))
    if (given !== ${JSON.stringify(JSON.stringify(expected))}) { console.error('argv ' + given); process.exit(3) }
    if (${JSON.stringify(behaviour)} === 'exit 0') process.exit(0)
    if (${JSON.stringify(behaviour)} === 'exit 1') process.exit(1)
    setInterval(() => {}, 1000)
  `
  return [process.execPath, '-e', program, '--']
}

describe('icmpProbe', () => {
  it('runs ping -n -c 1 -W <seconds> <address> and is true on exit 0', async () => {
    const probe = icmpProbe({ command: fakePing(['ping', '-n', '-c', '1', '-W', '2', 'fd00:1b:0:1::2'], 'exit 0') })
    assert.equal(await probe('fd00:1b:0:1::2', 2000), true)
  })

  it('writes a timeout below a second as a decimal', async () => {
    const probe = icmpProbe({ command: fakePing(['ping', '-n', '-c', '1', '-W', '0.250', '198.18.1.2'], 'exit 0') })
    assert.equal(await probe('198.18.1.2', 250), true)
  })

  it('is false when ping exits non-zero, or with arguments the fake did not expect', async () => {
    assert.equal(await icmpProbe({ command: fakePing(['ping', '-n', '-c', '1', '-W', '1', '198.18.1.99'], 'exit 1') })('198.18.1.99', 1000), false)
    assert.equal(await icmpProbe({ command: fakePing(['ping', '-n', '-c', '1', '-W', '1', '198.18.1.99'], 'exit 0') })('198.18.1.98', 1000), false)
  })

  it('is false, and does not wait much past the timeout, when ping hangs', async () => {
    const timeoutMs = 300
    const probe = icmpProbe({ command: fakePing(['ping', '-n', '-c', '1', '-W', '0.300', '198.18.1.2'], 'hang') })
    const began = Date.now()
    assert.equal(await probe('198.18.1.2', timeoutMs), false)
    const took = Date.now() - began
    assert.ok(took >= timeoutMs + PROBE_GRACE_MS - 5 && took < timeoutMs + PROBE_GRACE_MS + 1500, `the probe took ${took} ms`)
  })

  it('throws L3LB_PROGRAM_MISSING naming ping and iputils-ping when ping is not installed', async () => {
    const path = process.env.PATH
    // execa resolves the program on PATH at each call
    process.env.PATH = '/nonexistent-l3lb-test'
    try {
      await assert.rejects(icmpProbe()('198.18.1.2', 1000), (error: unknown) => {
        assert.ok(isL3lbError(error, 'L3LB_PROGRAM_MISSING'), String(error))
        assert.match(error.message, /'ping' is not installed \(running: ping -n -c 1 -W 1 198\.18\.1\.2\).*install the Debian package 'iputils-ping'/)
        return true
      })
    } finally {
      process.env.PATH = path
    }
  })

  it('names the prefix program when that is what is missing', async () => {
    const probe = icmpProbe({ command: ['/nonexistent-l3lb-test/ip', 'netns', 'exec', 'x'] })
    await assert.rejects(probe('198.18.1.2', 1000), (error: unknown) => {
      assert.ok(isL3lbError(error, 'L3LB_PROGRAM_MISSING'), String(error))
      assert.match(error.message, /'\/nonexistent-l3lb-test\/ip'/)
      return true
    })
  })
})
