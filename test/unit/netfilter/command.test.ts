import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { commandLine, debianPackageOf, programWasMissing } from '../../../src/netfilter/command.js'

describe('programWasMissing', () => {
  it('sees a missing program in each way it shows', () => {
    assert.ok(programWasMissing({ code: 'ENOENT', exitCode: undefined, stderr: '' }))
    assert.ok(programWasMissing({ exitCode: 127, stderr: "env: 'conntrack': No such file or directory\n" }))
    assert.ok(programWasMissing({ exitCode: 255, stderr: 'exec of "conntrack" failed: No such file or directory\n' }))
  })

  it('does not take an ordinary failure for a missing program', () => {
    assert.ok(!programWasMissing({ exitCode: 1, stderr: 'conntrack v1.4.7 (conntrack-tools): 0 flow entries have been deleted.\n' }))
    assert.ok(!programWasMissing({ exitCode: 255, stderr: 'Cannot open network namespace "x": No such file or directory\n' }))
  })
})

describe('debianPackageOf', () => {
  it('names the package that ships each program', () => {
    assert.equal(debianPackageOf('conntrack'), 'conntrack')
    assert.equal(debianPackageOf('ip6tables-restore'), 'iptables')
    assert.equal(debianPackageOf('sysctl'), 'procps')
  })
})

describe('commandLine', () => {
  it('quotes words with spaces', () => {
    assert.equal(commandLine(['ip', 'netns', 'exec', 'lb'], 'sysctl', ['-w', 'a b=1']), "ip netns exec lb sysctl -w 'a b=1'")
  })
})
