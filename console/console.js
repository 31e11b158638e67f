// The l3lb web console (docs/console.md): reads and changes the appliance through the ctl
// API only, with the token kept in this tab's sessionStorage. Plain DOM, no framework: the
// page is a few tables and forms, updated in place every POLL_MS so focus and typing survive.
'use strict'

;(() => {
  const POLL_MS = 2000
  const CHART_SECONDS = 600
  const RATE_MS = 5000
  const TOKEN_KEY = 'l3lb-ctl-token'
  const $ = (id) => document.getElementById(id)

  /** Services' sections, rows and charts by name, kept across polls. */
  const views = new Map()
  let timer = null
  let signedIn = false
  let ratesReadAt = 0

  // ---- the ctl API ----

  class Refusal extends Error {
    constructor (httpStatus, message) {
      super(message)
      this.httpStatus = httpStatus
    }
  }

  async function api (path, init = {}) {
    const token = sessionStorage.getItem(TOKEN_KEY)
    const headers = { ...(init.headers ?? {}) }
    if (token !== null) headers.authorization = `Bearer ${token}`
    const response = await fetch(path, { ...init, headers, cache: 'no-store' })
    const text = await response.text()
    let body = null
    try { body = JSON.parse(text) } catch { body = null }
    if (response.status === 401) throw new Refusal(401, body?.status?.message ?? 'the token was refused')
    if (!response.ok) throw new Refusal(response.status, body?.status?.message ?? `HTTP ${response.status}`)
    return body ?? text
  }

  // ---- small DOM helpers: text only, never HTML ----

  function el (tag, attributes = {}, ...children) {
    const node = document.createElement(tag)
    for (const [name, value] of Object.entries(attributes)) {
      if (name === 'text') node.textContent = value
      else if (name.startsWith('on')) node.addEventListener(name.slice(2), value)
      else node.setAttribute(name, value)
    }
    for (const child of children) node.append(child)
    return node
  }

  function setText (node, text) {
    if (node.textContent !== text) node.textContent = text
  }

  // ---- what happened ----

  function showResult (text, refused) {
    const result = $('result')
    result.classList.toggle('refused', refused)
    result.textContent = text
  }

  function outcome (what, answer) {
    const { code, message } = answer.status
    const applied = answer.applied === undefined ? '' : ` (applied: ${answer.applied})`
    if (code === 0) return `${what}: done${message === '' ? '' : `: ${message}`}${applied}`
    return `${what}: nothing changed${message === '' ? '' : `: ${message}`}${applied}`
  }

  async function act (what, path, init, focusAfter) {
    try {
      showResult(outcome(what, await api(path, init)), false)
    } catch (error) {
      if (error instanceof Refusal && error.httpStatus === 401) return signOut(error.message)
      showResult(`${what}: refused${error instanceof Refusal ? ` (HTTP ${error.httpStatus})` : ''}: ${error.message}`, true)
    }
    await refresh()
    focusAfter?.()
  }

  // ---- services and servers ----

  // out2 for the env file's outputs, web/web1 for a service file's server: as the ctl messages name them
  const serverLabel = (service, server) => service === 'default' ? server : `${service}/${server}`
  const query = (service, server) => `service=${encodeURIComponent(service)}&channel=${encodeURIComponent(server)}`
  const serverPath = (service, server) => `/api/services/${encodeURIComponent(service)}/servers/${encodeURIComponent(server)}`

  function serviceView (service) {
    let view = views.get(service.name)
    if (view !== undefined) return view
    const heading = el('h3', { id: `service-${service.name}` })
    const caption = el('caption')
    const tbody = el('tbody')
    const table = el('table', {},
      caption,
      el('thead', {}, el('tr', {}, ...['Server', 'Address', 'Health', 'Admin state', 'Weight', 'Sessions', 'Actions'].map((name) => el('th', { scope: 'col', text: name })))),
      tbody)
    const chart = el('figure', { class: 'chart', role: 'img', 'aria-label': `Sessions per second of ${service.name}, the last ten minutes`, 'data-points': '0' })
    const section = el('section', { class: 'service', 'aria-labelledby': heading.id, 'data-service': service.name }, heading, table, chart)
    view = { section, heading, caption, tbody, chart, rows: new Map(), plot: null, points: [[], []], note: null, now: 0 }
    if (service.name === 'default') {
      section.append(el('p', { class: 'note', text: 'The outputs of the env file: add, remove and weigh them there (and SIGHUP the agent).' }))
    } else {
      section.append(addServerForm(service.name))
    }
    views.set(service.name, view)
    return view
  }

  function addServerForm (service) {
    const id = (field) => `add-${service}-${field}`
    const field = (name, label, attributes) => el('label', { for: id(name) }, label, el('input', { id: id(name), name, ...attributes }))
    const form = el('form', { class: 'add-server', 'aria-label': `Add a server to ${service}` },
      field('name', 'Name', { required: '', pattern: '[A-Za-z0-9_.\\-]+', autocomplete: 'off' }),
      field('address', 'Address', { required: '', autocomplete: 'off' }),
      field('port', 'Port', { type: 'number', min: '1', max: '65535' }),
      field('weight', 'Weight', { type: 'number', min: '0', max: '256' }),
      el('button', { type: 'submit', text: `Add server to ${service}` }))
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      const data = new FormData(form)
      const name = String(data.get('name')).trim()
      const body = { address: String(data.get('address')).trim() }
      if (String(data.get('port')) !== '') body.port = Number(data.get('port'))
      if (String(data.get('weight')) !== '') body.weight = Number(data.get('weight'))
      act(`Add ${serverLabel(service, name)}`, serverPath(service, name), {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body)
      }, () => form.reset())
    })
    return form
  }

  function rowView (view, service, name) {
    let row = view.rows.get(name)
    if (row !== undefined) return row
    const label = serverLabel(service, name)
    const cells = { name: el('th', { scope: 'row', text: name }), address: el('td'), health: el('td'), admin: el('td'), weight: el('td', { class: 'num' }), sessions: el('td', { class: 'num' }) }
    const verb = (word) => el('button', { type: 'button', 'aria-label': `${word} ${label}`, text: word, 'data-action': word.toLowerCase() })
    const buttons = { enable: verb('Enable'), disable: verb('Disable'), drain: verb('Drain') }
    const actions = el('td', {}, buttons.enable, buttons.disable, buttons.drain)
    const focusFirst = () => {
      if (document.activeElement === null || document.activeElement === document.body) {
        const first = [...actions.querySelectorAll('button')].find((button) => !button.hidden)
        first?.focus()
      }
    }
    for (const [word, button] of Object.entries(buttons)) {
      button.addEventListener('click', () => act(`${word[0].toUpperCase()}${word.slice(1)} ${label}`, `/api/${word}?${query(service, name)}`, {}, focusFirst))
    }
    if (service !== 'default') {
      const weightId = `weight-${service}-${name}`
      const weight = el('input', { id: weightId, type: 'number', min: '0', max: '256', 'aria-label': `Weight of ${label}` })
      const set = el('button', { type: 'button', text: 'Set weight', 'aria-label': `Set weight of ${label}` })
      set.addEventListener('click', async () => {
        const wanted = Number(weight.value)
        try {
          // the rest of the server's line (port, maxconn, backup) stays as the file has it
          const current = (await api(`/api/services/${encodeURIComponent(service)}`)).service.servers?.[name]
          if (current === undefined) throw new Refusal(404, `${label} is not in the service's file`)
          await act(`Set weight of ${label} to ${weight.value}`, serverPath(service, name), {
            method: 'PUT',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ ...current, weight: wanted })
          }, () => set.focus())
        } catch (error) {
          if (error instanceof Refusal && error.httpStatus === 401) return signOut(error.message)
          showResult(`Set weight of ${label}: refused: ${error.message}`, true)
        }
      })
      const remove = el('button', { type: 'button', text: 'Remove', 'aria-label': `Remove ${label}` })
      remove.addEventListener('click', () => act(`Remove ${label}`, serverPath(service, name), { method: 'DELETE' }, focusFirst))
      actions.append(weight, set, remove)
      buttons.weight = weight
      buttons.set = set
      buttons.remove = remove
    }
    const tr = el('tr', { 'data-server': name }, cells.name, cells.address, cells.health, cells.admin, cells.weight, cells.sessions, actions)
    row = { tr, cells, buttons }
    view.rows.set(name, row)
    return row
  }

  const endpoint = (address, port) => port === null ? address : address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`

  function renderServer (row, server) {
    const { cells, buttons } = row
    const removing = server.state === 'removing'
    const admin = removing ? 'removing' : server.admin
    setText(cells.address, endpoint(server.address, server.port))
    setText(cells.health, removing ? '' : server.health)
    cells.health.className = removing ? '' : `health-${server.health}`
    setText(cells.admin, removing ? `removing (${server.forSeconds} s)` : `${server.admin}${server.role === 'backup' ? ', backup' : ''}`)
    cells.admin.className = `admin-${admin}`
    setText(cells.weight, removing ? '' : String(server.weight))
    setText(cells.sessions, server.sessions === null ? '–' : String(server.sessions))
    // each state shows the controls that change it, the one that brings it back first
    buttons.enable.hidden = removing || admin === 'enabled'
    buttons.disable.hidden = removing || admin === 'disabled'
    buttons.drain.hidden = removing || admin !== 'enabled'
    for (const key of ['weight', 'set', 'remove']) if (buttons[key] !== undefined) buttons[key].hidden = removing
    if (buttons.weight !== undefined && document.activeElement !== buttons.weight && !removing) buttons.weight.value = String(server.weight)
  }

  function renderServices (services) {
    const container = $('services')
    const seen = new Set()
    for (const service of services) {
      seen.add(service.name)
      const view = serviceView(service)
      setText(view.heading, `${service.name}: ${service.mode}, ports ${service.ports}${service.addresses.length === 0 ? '' : ` on ${service.addresses.join(', ')}`}`)
      setText(view.caption, `Servers of ${service.name}`)
      const wanted = [...service.servers, ...(service.removing ?? [])]
      const names = new Set(wanted.map((server) => server.name))
      for (const [name, row] of view.rows) {
        if (!names.has(name)) {
          row.tr.remove()
          view.rows.delete(name)
        }
      }
      for (const server of wanted) {
        const row = rowView(view, service.name, server.name)
        renderServer(row, server)
        view.tbody.append(row.tr)
      }
      container.append(view.section)
    }
    for (const [name, view] of views) {
      if (!seen.has(name)) {
        view.plot?.destroy()
        view.section.remove()
        views.delete(name)
      }
    }
  }

  // ---- sessions per second: the agent keeps ten minutes of them (/api/rates) ----

  function renderRates (rates, now) {
    for (const [name, view] of views) {
      const points = rates[name]
      // a service the agent has no totals of (UDP, or not read yet since it came) says so
      if (points === undefined && view.note === null) {
        view.note = el('p', { class: 'note', text: 'No session totals for this service yet (a UDP service has none: it counts its flows live, in Sessions).' })
        view.chart.after(view.note)
      }
      if (view.note !== null) view.note.hidden = points !== undefined
      if (points === undefined) continue
      view.points = [points.map((point) => point[0]), points.map((point) => point[1])]
      drawChart(view, name, now)
    }
  }

  function drawChart (view, name, now) {
    view.chart.setAttribute('data-points', String(view.points[0].length))
    view.now = now
    if (typeof window.uPlot !== 'function') return
    if (view.plot === null) {
      const width = Math.max(300, Math.min(1100, view.section.clientWidth - 40))
      const UPlot = window.uPlot
      view.plot = new UPlot({
        title: `${name}: sessions per second, last ten minutes`,
        width,
        height: 160,
        // the window is the last ten minutes whatever the page has seen of them
        scales: { x: { time: true, range: () => [view.now - CHART_SECONDS, view.now] }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
        series: [{}, { label: 'sessions/s', stroke: '#1a5fb4', fill: 'rgba(26,95,180,0.1)', points: { show: true, size: 4 }, value: (_u, v) => v === null ? '–' : v.toFixed(2) }],
        axes: [{}, { label: 'sessions/s' }]
      }, view.points, view.chart)
    } else {
      view.plot.setData(view.points)
    }
  }

  // ---- notices ----

  function renderNotices (notices) {
    const list = $('notices')
    $('no-notices').hidden = notices.length > 0
    const items = [...notices].reverse().map((notice) => {
      const at = new Date(notice.at)
      return el('li', { class: `notice-${notice.notice}` }, el('time', { datetime: notice.at, text: at.toLocaleTimeString() }), ` ${notice.message}`)
    })
    // replaced only when it changed: a screen reader's place in the list stays otherwise
    const key = notices.map((notice) => `${notice.at} ${notice.message}`).join('\n')
    if (list.dataset.key !== key) {
      list.replaceChildren(...items)
      list.dataset.key = key
    }
  }

  // ---- polling and the token ----

  async function refresh () {
    try {
      // the agent makes a point every 10 s: reading them every RATE_MS is enough
      const now = Date.now()
      const withRates = now - ratesReadAt >= RATE_MS
      const [services, notices, rates] = await Promise.all([api('/api/services'), api('/api/notices'), withRates ? api('/api/rates') : null])
      if (!signedIn) showMain()
      renderServices(services.services)
      renderNotices(notices.notices)
      if (rates !== null) {
        ratesReadAt = now
        renderRates(rates.rates, now / 1000)
      }
      setText($('updated'), `updated ${new Date().toLocaleTimeString()}`)
    } catch (error) {
      if (error instanceof Refusal && error.httpStatus === 401) return signOut(error.message)
      setText($('updated'), `not updated: ${error.message}`)
    }
  }

  function showMain () {
    signedIn = true
    $('token-form').hidden = true
    $('main').hidden = false
  }

  // a refused token shows the refusal, and no data stays on the page
  function signOut (message) {
    const hadToken = sessionStorage.getItem(TOKEN_KEY) !== null
    sessionStorage.removeItem(TOKEN_KEY)
    signedIn = false
    for (const view of views.values()) view.plot?.destroy()
    views.clear()
    ratesReadAt = 0
    $('services').replaceChildren()
    $('notices').replaceChildren()
    delete $('notices').dataset.key
    $('main').hidden = true
    $('result').textContent = ''
    $('token-form').hidden = false
    $('token-error').textContent = hadToken ? `The token was refused: ${message}` : ''
    $('token').focus()
  }

  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault()
    sessionStorage.setItem(TOKEN_KEY, $('token').value)
    $('token').value = ''
    refresh()
  })

  // signed out, the page waits for the token form rather than asking again every poll
  function poll () {
    const due = signedIn || timer === null ? refresh() : Promise.resolve()
    due.finally(() => { timer = setTimeout(poll, POLL_MS) })
  }
  poll()
})()
