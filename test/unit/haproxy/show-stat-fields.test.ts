/** `show stat`'s fields cut by position from the header, up to the last column wanted. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseShowStat } from '../../../src/haproxy/parse.js'

const HEADER = '# pxname,svname,qcur,status,x,check_desc,'

test('the wanted columns by name, wherever they sit; the others left out', () => {
  const rows = parseShowStat(`${HEADER}\nweb,a,0,UP,9,Layer4 check passed,\nweb,BACKEND,2,UP,9,,\n`, new Set(['svname', 'status', 'check_desc']))
  assert.deepEqual(rows, [{ svname: 'a', status: 'UP', check_desc: 'Layer4 check passed' }, { svname: 'BACKEND', status: 'UP', check_desc: '' }])
})

test('a line shorter than the header leaves the missing columns empty; blank lines are skipped, before the header too', () => {
  const rows = parseShowStat(`\n\n${HEADER}\nweb,a\n\n  \nweb,b,1,DOWN\n`, new Set(['pxname', 'svname', 'status', 'check_desc']))
  assert.deepEqual(rows, [{ pxname: 'web', svname: 'a', status: '', check_desc: '' }, { pxname: 'web', svname: 'b', status: 'DOWN', check_desc: '' }])
})

test('every column without a set; no header: no row', () => {
  assert.deepEqual(parseShowStat(`${HEADER}\nweb,a,0,UP,9,ok,\n`), [{ pxname: 'web', svname: 'a', qcur: '0', status: 'UP', x: '9', check_desc: 'ok' }])
  assert.deepEqual(parseShowStat('web,a,0\n'), [])
  assert.deepEqual(parseShowStat(''), [])
})

test('a field holding the last wanted column keeps its text whole, the columns after it not read', () => {
  const rows = parseShowStat('# pxname,check_desc,after\nweb,Layer7 wrong status: 503 Service Unavailable,z\n', new Set(['check_desc']))
  assert.deepEqual(rows, [{ check_desc: 'Layer7 wrong status: 503 Service Unavailable' }])
})

test('the check columns read only for a row that is not plain UP: the reasons of a server down, failing or in maintenance', () => {
  const text = `${HEADER}\nweb,a,0,UP,9,Layer4 check passed,\nweb,b,0,DOWN,9,Layer4 timeout,\nweb,c,0,UP 1/3,9,Layer4 connection problem,\nweb,d,0,MAINT,9,Layer4 check passed,\n`
  const rows = parseShowStat(text, new Set(['svname', 'status']), new Set(['check_desc', 'x']))
  assert.deepEqual(rows, [
    { svname: 'a', status: 'UP', check_desc: '', x: '' },
    { svname: 'b', status: 'DOWN', check_desc: 'Layer4 timeout', x: '9' },
    { svname: 'c', status: 'UP 1/3', check_desc: 'Layer4 connection problem', x: '9' },
    { svname: 'd', status: 'MAINT', check_desc: 'Layer4 check passed', x: '9' }
  ])
  // a check column also wanted for every row is read for every row
  assert.deepEqual(parseShowStat(text, new Set(['svname', 'check_desc']), new Set(['check_desc']))[0], { svname: 'a', check_desc: 'Layer4 check passed' })
})
