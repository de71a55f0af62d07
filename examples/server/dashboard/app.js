// The kissmon dashboard: reads /api/v1/* and the live stream /api/v1/events.
// Every string that comes from a bot is put on the page with textContent or
// setAttribute, never as HTML. No inline script or style (the monitor's CSP
// forbids both).
import { startAlertPanel } from './alerts.js';

// uPlot is loaded when a chart is first drawn, so that the fleet table does not wait for it.
let uPlotModule = null;
const loadUPlot = () => {
  uPlotModule = uPlotModule || import('./vendor/uPlot.esm.js').then((m) => m.default);
  return uPlotModule;
};

const STATUSES = ['online', 'stale', 'dead', 'offline', 'unknown'];
const TOKEN_KEY = 'kissmon-token';
const $ = (id) => document.getElementById(id);

// State the page shows, and a hook for tests and scripts (window.kissmon).
const state = {
  bots: new Map(), // channel -> bot (as /api/v1/bots has it, plus seenAt in ms)
  storage: null, // sqlite or postgresql, from /api/v1/fleet
  rows: new Map(), // channel -> Row
  order: [], // the Rows in table order
  sort: { key: 'channel', dir: 1 },
  lastEventId: null,
  statusEvents: [], // every status event received, in order (bounded)
  resets: 0,
  resumes: 0,
  connects: 0,
  holdUntil: 0,
  abort: null,
  wake: null,
  view: 'fleet',
  range: { kind: '1h' },
  usage: null,
  renderedAt: 0,
};
window.kissmon = {
  state,
  // Cuts the live stream and stays disconnected for `ms`; it then resumes with its last id.
  cut(ms = 0) {
    state.holdUntil = Date.now() + ms;
    if (state.abort) state.abort.abort();
    if (state.wake) state.wake();
  },
};

// ---------------------------------------------------------------- token and API

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

let tokenWaiters = [];
function askToken(message) {
  $('token-box').hidden = false;
  $('token-error').textContent = message || '';
  $('token-input').focus();
  return new Promise((resolve) => tokenWaiters.push(resolve));
}

function saveToken() {
  const value = $('token-input').value.trim();
  if (!value) return;
  sessionStorage.setItem(TOKEN_KEY, value);
  $('token-input').value = '';
  $('token-box').hidden = true;
  const waiters = tokenWaiters;
  tokenWaiters = [];
  waiters.forEach((resolve) => resolve());
}

// A 401: forget a refused token and ask (once, however many requests wait).
async function unauthorized() {
  const refused = token();
  if (refused !== null) sessionStorage.removeItem(TOKEN_KEY);
  const message = refused !== null ? 'The token was refused; try again.' : tokenWaiters.length > 0 ? $('token-error').textContent : '';
  await askToken(message);
}

function headers(extra = {}) {
  const h = { ...extra };
  const t = token();
  if (t) h.Authorization = `Bearer ${t}`;
  return h;
}

async function api(path) {
  for (;;) {
    // The API answers with Cache-Control: no-store; a plain fetch can take
    // the response the page preloaded.
    const response = await fetch(path, { headers: headers() });
    if (response.status === 401) {
      await unauthorized();
      continue;
    }
    if (!response.ok) {
      let message = `${response.status}`;
      try { message = (await response.json()).error.message; } catch { /* not JSON */ }
      throw new Error(`${path}: ${message}`);
    }
    return response.json();
  }
}

// ---------------------------------------------------------------- formatting

function ago(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 172800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

const num = (v, digits = 0) => (v === null || v === undefined ? '–' : Number(v).toFixed(digits));
const ms = (v) => (v === null || v === undefined ? '–' : `${Number(v).toFixed(v < 10 ? 1 : 0)} ms`);
const usd = (v) => (v ? `$${Number(v).toFixed(4)}` : '$0');

function el(tag, text, attrs) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (attrs) for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

// ---------------------------------------------------------------- fleet

function features(bot) {
  const on = Object.entries(bot.features || {}).filter(([, v]) => v).map(([k]) => k);
  return on.join(', ');
}

function flagsOf(bot) {
  const flags = [];
  if (bot.pid_unverified) flags.push('pid unverified');
  if (bot.peer_mismatch) flags.push('peer mismatch');
  return flags;
}

// One <tr> per bot, cloned from this row: cells channel, status, last
// heartbeat, lag, rss, lang, features, flags, why. Each cell but the flags
// holds one text node, updated in place; the colour dot of the status comes
// from CSS (the row's data-status).
// The roles keep the table's semantics: its rows are grids (style.css).
const ROW = document.createElement('tr');
ROW.setAttribute('role', 'row');
for (let i = 0; i < 9; i += 1) {
  const td = document.createElement('td');
  td.setAttribute('role', 'cell');
  if (i === 1) td.className = 'status';
  if (i === 3 || i === 4) td.className = 'num';
  if (i !== 7) td.append(document.createTextNode(''));
  ROW.append(td);
}
const AGO = 2;
const FLAGS = 7;
const WHY = 8;

// A bot's row, with what it shows, so that an update touches only what changed.
class Row {
  constructor(channel) {
    this.channel = channel;
    this.tr = ROW.cloneNode(true);
    this.tr.setAttribute('data-channel', channel);
    this.tr.firstChild.title = channel;
    this.cells = [];
    for (let td = this.tr.firstChild; td; td = td.nextSibling) this.cells.push(td);
    this.shown = new Array(9).fill('');
    this.status = null;
  }

  put(i, text) {
    if (this.shown[i] === text) return;
    this.shown[i] = text;
    if (i === FLAGS) {
      this.cells[i].replaceChildren(...(text ? text.split('\n') : []).map((f) => el('span', f, { class: 'flag' })));
      return;
    }
    this.cells[i].firstChild.data = text;
    if (i === WHY) this.cells[i].title = text;
  }

  fill(bot, now) {
    if (this.status !== bot.status) {
      this.status = bot.status;
      this.tr.setAttribute('data-status', bot.status);
    }
    this.put(0, bot.channel);
    this.put(1, bot.status);
    this.put(AGO, ago(now - bot.seenAt));
    this.put(3, ms(bot.lag_ms));
    this.put(4, bot.rss_mb === null || bot.rss_mb === undefined ? '–' : `${num(bot.rss_mb, 1)} MiB`);
    this.put(5, bot.lang || '–');
    this.put(6, features(bot));
    this.put(FLAGS, flagsOf(bot).join('\n'));
    this.put(WHY, bot.status_reason || '');
  }
}

function sortValue(bot, key) {
  if (key === 'last_seen') return -bot.seenAt;
  if (key === 'status') return STATUSES.indexOf(bot.status);
  const v = bot[key];
  return v === null || v === undefined ? '' : v;
}

function visibleBots() {
  const text = $('filter').value.trim().toLowerCase();
  const status = $('status-filter').value;
  const { key, dir } = state.sort;
  const list = [];
  for (const bot of state.bots.values()) {
    if (status && bot.status !== status) continue;
    if (text) {
      const hay = `${bot.channel}\n${bot.lang || ''}\n${features(bot)}\n${bot.instance || ''}`.toLowerCase();
      if (!hay.includes(text)) continue;
    }
    list.push(bot);
  }
  list.sort((a, b) => {
    const x = sortValue(a, key);
    const y = sortValue(b, key);
    if (x < y) return -dir;
    if (x > y) return dir;
    return a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : 0;
  });
  return list;
}

function renderFleet() {
  const started = performance.now();
  const now = Date.now();
  const list = visibleBots();
  const keep = new Set();
  const ordered = [];
  for (const bot of list) {
    let row = state.rows.get(bot.channel);
    if (!row) {
      row = new Row(bot.channel);
      state.rows.set(bot.channel, row);
    }
    row.fill(bot, now);
    keep.add(bot.channel);
    ordered.push(row);
  }
  for (const channel of state.rows.keys()) {
    if (!keep.has(channel) && !state.bots.has(channel)) state.rows.delete(channel);
  }
  // Rows move only when the order changed, so that a status event does not
  // re-insert (and re-lay out) every row.
  const same = ordered.length === state.order.length && ordered.every((row, i) => row === state.order[i]);
  if (!same) $('bot-rows').replaceChildren(...ordered.map((row) => row.tr));
  state.order = ordered;
  $('shown').textContent = `${list.length} of ${state.bots.size} bots`;
  renderCounts();
  state.renderedAt = performance.now();
  state.lastRenderMs = state.renderedAt - started;
  if (state.firstRenderMs === undefined && state.bots.size > 0 && state.firstBuildMs === undefined) {
    state.firstBuildMs = state.lastRenderMs;
    // The frame after the first full table: it has been laid out and painted.
    requestAnimationFrame(() => { state.firstRenderMs = performance.now(); });
  }
  document.body.setAttribute('data-rendered', String(state.bots.size));
}

function renderCounts() {
  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0]));
  for (const bot of state.bots.values()) counts[bot.status] = (counts[bot.status] || 0) + 1;
  for (const span of document.querySelectorAll('#counts .count')) {
    span.querySelector('b').textContent = String(counts[span.dataset.status] || 0);
  }
}

// "3 s ago" ticks in the rows on screen (rows have one height, so they are
// found from the scroll position); a row scrolled into view is brought up to
// date then.
function tick() {
  const rows = state.order;
  if (rows.length === 0 || state.view !== 'fleet') return;
  const box = $('bot-rows').getBoundingClientRect();
  const height = box.height / rows.length;
  if (!(height > 0)) return;
  const first = Math.max(0, Math.floor(-box.top / height) - 10);
  const last = Math.min(rows.length, Math.ceil((window.innerHeight - box.top) / height) + 10);
  const now = Date.now();
  for (let i = first; i < last; i += 1) {
    const bot = state.bots.get(rows[i].channel);
    if (bot) rows[i].put(AGO, ago(now - bot.seenAt));
  }
}

let tickQueued = false;
function tickSoon() {
  if (tickQueued) return;
  tickQueued = true;
  requestAnimationFrame(() => { tickQueued = false; tick(); });
}

function flash(channel) {
  const row = state.rows.get(channel);
  if (!row) return;
  row.tr.classList.remove('changed');
  // Restart the animation.
  void row.tr.offsetWidth;
  row.tr.classList.add('changed');
}

let loading = null;
async function loadBots() {
  if (loading) return loading;
  loading = (async () => {
    const fetchedAt = Date.now();
    const list = await api('/api/v1/bots');
    state.lastFetchMs = Date.now() - fetchedAt;
    const next = new Map();
    // Ages from the snapshot's own clock (taken_at - last_seen), so the browser's clock does not matter.
    const takenAt = Date.parse(list.taken_at);
    for (const bot of list.bots) {
      bot.seenAt = fetchedAt - Math.max(0, takenAt - Date.parse(bot.last_seen));
      const mine = state.bots.get(bot.channel);
      // A status the stream delivered after this snapshot was taken wins.
      if (mine && mine.eventAt && mine.eventAt > Date.parse(bot.status_changed_at)) {
        bot.status = mine.status;
        bot.status_reason = mine.status_reason;
        bot.eventAt = mine.eventAt;
      }
      next.set(bot.channel, bot);
    }
    state.bots = next;
    if (state.firstLoadAt === undefined) state.firstLoadAt = performance.now();
    renderFleet();
  })().finally(() => { loading = null; });
  return loading;
}

function logEvent(change) {
  const li = el('li', `${change.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z')} ${change.channel}: ${change.from || 'new'} → ${change.to} (${change.reason})`);
  li.setAttribute('data-channel', change.channel);
  li.setAttribute('data-to', change.to);
  const log = $('event-log');
  log.prepend(li);
  while (log.children.length > 100) log.lastChild.remove();
}

let refreshSoon = null;
function applyStatus(change) {
  state.statusEvents.push(change);
  if (state.statusEvents.length > 20000) state.statusEvents.splice(0, 10000);
  logEvent(change);
  let bot = state.bots.get(change.channel);
  if (!bot) {
    bot = { channel: change.channel, pid: change.pid, features: {}, seenAt: Date.now() };
    state.bots.set(change.channel, bot);
    // Fill in the rest of a new bot soon.
    clearTimeout(refreshSoon);
    refreshSoon = setTimeout(() => loadBots().catch(showError), 1000);
  }
  bot.status = change.to;
  bot.status_reason = change.reason;
  bot.status_changed_at = change.at;
  bot.eventAt = Date.parse(change.at);
  if (change.to === 'online') bot.seenAt = Math.max(bot.seenAt, Date.now());
  scheduleRender(change.channel);
}

const pendingFlash = new Set();
let renderQueued = false;
function scheduleRender(channel) {
  if (channel) pendingFlash.add(channel);
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    renderFleet();
    for (const c of pendingFlash) flash(c);
    pendingFlash.clear();
  });
}

// ---------------------------------------------------------------- live stream

// EventSource cannot send an Authorization header, so the stream is read with
// fetch, which sends the token like every other request, and parsed here.
async function stream() {
  for (;;) {
    while (state.holdUntil > Date.now()) {
      await new Promise((r) => {
        state.wake = r;
        setTimeout(r, state.holdUntil - Date.now());
      });
    }
    const controller = new AbortController();
    state.abort = controller;
    try {
      const extra = { Accept: 'text/event-stream' };
      if (state.lastEventId) extra['Last-Event-ID'] = state.lastEventId;
      const response = await fetch('/api/v1/events', { headers: headers(extra), signal: controller.signal, cache: 'no-store' });
      if (response.status === 401) {
        await unauthorized();
        continue;
      }
      if (!response.ok || !response.body) throw new Error(`events: ${response.status}`);
      state.connects += 1;
      setLive('live', 'live');
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          dispatch(frame);
        }
      }
    } catch (err) {
      if (err.name !== 'AbortError') console.warn('event stream:', err);
    }
    state.abort = null;
    setLive('down', 'reconnecting');
    await new Promise((r) => setTimeout(r, 300));
  }
}

function setLive(s, text) {
  $('live').setAttribute('data-state', s);
  $('live').textContent = text;
}

function dispatch(frame) {
  let id = null;
  let kind = 'message';
  const data = [];
  for (const line of frame.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'id') id = value;
    else if (field === 'event') kind = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0 && id === null) return;
  let payload = null;
  try { payload = JSON.parse(data.join('\n')); } catch { return; }
  if (id !== null) state.lastEventId = id;
  switch (kind) {
    case 'hello':
      // The stream is subscribed now: load (again) so that nothing between the first load and now is missed.
      (loading || Promise.resolve()).then(() => loadBots()).catch(showError);
      break;
    case 'reset':
      state.resets += 1;
      loadBots().catch(showError);
      if (state.view === 'usage') loadUsage().catch(showError);
      break;
    case 'status':
      applyStatus(payload);
      break;
    case 'counters':
      break;
    case 'usage':
      applyUsageDelta(payload);
      break;
    default:
      break;
  }
}

// ---------------------------------------------------------------- usage

const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
const RANGES = { '1h': [3600, '1m', 60], '24h': [86400, '1h', 3600], '7d': [604800, '1h', 3600] };

function rangeParams() {
  const r = state.range;
  if (r.kind === 'custom') {
    const span = (r.until - r.since) / 1000;
    const [bucket, width] = span <= 7200 ? ['1m', 60] : span <= 172800 ? ['5m', 300] : span <= 2592000 ? ['1h', 3600] : ['1d', 86400];
    return { since: Math.floor(r.since / 1000), until: Math.ceil(r.until / 1000), bucket, width, live: false };
  }
  const [span, bucket, width] = RANGES[r.kind];
  const until = Math.ceil(Date.now() / 1000 / width) * width + width;
  return { since: until - span - width, until, bucket, width, live: true };
}

let usageChart = null;
async function loadUsage() {
  const p = rangeParams();
  const by = $('stack-by').value;
  const q = `since=${p.since}&until=${p.until}`;
  const [report, table] = await Promise.all([
    api(`/api/v1/usage?${q}&group_by=${by}&bucket=${p.bucket}`),
    api(`/api/v1/usage/table?${q}`),
  ]);
  const points = new Map(); // start (s) -> Map(group -> {tokens, cost})
  for (const row of report.series) {
    const t = Math.floor(Date.parse(row.start) / 1000);
    if (!points.has(t)) points.set(t, new Map());
    const g = row[by] ?? '';
    points.get(t).set(g, { tokens: row.tokens_in + row.tokens_out, cost: row.cost_usd });
  }
  state.usage = { params: p, by, points, tokens: report.totals.tokens_in + report.totals.tokens_out, cost: report.totals.cost_usd, table: table.rows };
  await renderUsage();
}

function applyUsageDelta(delta) {
  const u = state.usage;
  if (!u || !u.params.live) return;
  const t = Math.floor(Date.parse(delta.at) / 1000 / u.params.width) * u.params.width;
  if (!u.points.has(t)) u.points.set(t, new Map());
  const bucket = u.points.get(t);
  for (const row of delta.rows) {
    const g = row[u.by] ?? '';
    const cur = bucket.get(g) || { tokens: 0, cost: 0 };
    cur.tokens += row.tokens_in + row.tokens_out;
    cur.cost += row.cost_usd;
    bucket.set(g, cur);
    u.tokens += row.tokens_in + row.tokens_out;
    u.cost += row.cost_usd;
  }
  if (state.view === 'usage') {
    renderUsage().catch(showError);
    // At most one table reload per 2 s, however often deltas come.
    if (!applyUsageDelta.table) {
      applyUsageDelta.table = setTimeout(() => {
        applyUsageDelta.table = null;
        loadUsageTable().catch(showError);
      }, 2000);
    }
  }
}

async function loadUsageTable() {
  const u = state.usage;
  if (!u) return;
  const table = await api(`/api/v1/usage/table?since=${u.params.since}&until=${u.params.until}`);
  u.table = table.rows;
  renderUsageTable();
}

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

async function renderUsage() {
  const uPlot = await loadUPlot();
  const u = state.usage;
  const metric = $('metric').value;
  const { since, until, width } = u.params;
  const xs = [];
  for (let t = Math.floor(since / width) * width; t < until; t += width) xs.push(t);
  const groups = new Set();
  for (const bucket of u.points.values()) for (const g of bucket.keys()) groups.add(g);
  const names = [...groups].sort();
  const own = names.map((g) => xs.map((t) => {
    const v = u.points.get(t)?.get(g);
    return v ? v[metric] : 0;
  }));
  // Stacked: each series is drawn as the running sum, the top one first.
  let chartTokens = 0;
  const seriesTokens = {};
  for (const g of names) {
    seriesTokens[g] = 0;
    for (const t of xs) seriesTokens[g] += u.points.get(t)?.get(g)?.tokens || 0;
    chartTokens += seriesTokens[g];
  }
  const stacked = [];
  const running = xs.map(() => 0);
  for (const values of own) {
    values.forEach((v, i) => { running[i] += v; });
    stacked.push([...running]);
  }
  const fg = cssVar('--fg');
  const grid = cssVar('--line');
  const series = [{}];
  const data = [xs];
  for (let i = names.length - 1; i >= 0; i -= 1) {
    const colour = PALETTE[i % PALETTE.length];
    const ownValues = own[i];
    series.push({
      label: names[i] || '(none)',
      stroke: colour,
      fill: `${colour}cc`,
      width: 1,
      value: (self, v, si, idx) => (idx === null || idx === undefined ? '' : metric === 'cost' ? usd(ownValues[idx]) : String(ownValues[idx])),
    });
    data.push(stacked[i]);
  }
  const chartBox = $('usage-chart');
  chartBox.setAttribute('data-chart-tokens', String(chartTokens));
  chartBox.setAttribute('data-series-tokens', JSON.stringify(seriesTokens));
  const opts = {
    width: Math.max(320, chartBox.clientWidth || 800),
    height: 320,
    series,
    axes: [
      { stroke: fg, grid: { stroke: grid }, ticks: { stroke: grid } },
      { stroke: fg, grid: { stroke: grid }, ticks: { stroke: grid }, size: 70, label: metric === 'cost' ? 'USD' : 'tokens' },
    ],
    scales: { x: { time: true } },
  };
  if (usageChart) usageChart.destroy();
  chartBox.replaceChildren();
  usageChart = new uPlot(opts, data, chartBox);
  const total = $('usage-total');
  total.setAttribute('data-tokens', String(u.tokens));
  total.textContent = `${u.tokens} tokens, ${usd(u.cost)} in this range`;
  renderUsageTable();
}

function renderUsageTable() {
  const rows = (state.usage?.table || []).map((r) => {
    const tr = el('tr', null, { 'data-channel': r.channel, 'data-monitor': r.monitor_id });
    // On PostgreSQL the rows are every monitor's: a bot is (monitor, channel).
    const who = state.storage === 'postgresql' ? `${r.monitor_id}: ${r.channel}` : r.channel;
    tr.append(
      el('td', who), el('td', r.model), el('td', r.feature),
      el('td', r.calls, { class: 'num' }), el('td', r.tokens_in, { class: 'num' }), el('td', r.tokens_out, { class: 'num' }),
      el('td', usd(r.cost_usd), { class: 'num' }), el('td', ms(r.p50_latency_ms), { class: 'num' }), el('td', ms(r.p95_latency_ms), { class: 'num' }),
    );
    return tr;
  });
  $('usage-rows').replaceChildren(...rows);
}

// ---------------------------------------------------------------- bot detail

let detailChart = null;
async function showDetail(channel, monitor) {
  const uPlot = await loadUPlot();
  const which = monitor ? `?monitor=${encodeURIComponent(monitor)}` : '';
  const detail = await api(`/api/v1/bots/${encodeURIComponent(channel)}${which}`);
  const bot = detail.bot;
  $('detail').hidden = false;
  $('detail').setAttribute('data-channel', bot.channel);
  $('detail').setAttribute('data-monitor', detail.monitor_id);
  $('detail-title').textContent = state.storage === 'postgresql' ? `${detail.monitor_id}: ${bot.channel}` : bot.channel;
  $('detail-summary').textContent = `${bot.status} (${bot.status_reason}), pid ${bot.pid}, ${bot.lang || 'unknown language'} ${bot.sdk_version || ''}${bot.instance ? `, instance ${bot.instance}` : ''}`;
  $('detail-transitions').replaceChildren(...detail.transitions.map((t) => el('li', `${t.ts} ${t.from || 'new'} → ${t.to} (${t.reason})`, { 'data-to': t.to })));
  $('detail-usage').replaceChildren(...detail.usage.map((g) => {
    const tr = el('tr');
    tr.append(el('td', g.model), el('td', g.feature), el('td', g.calls, { class: 'num' }), el('td', g.tokens_in + g.tokens_out, { class: 'num' }),
      el('td', usd(g.cost_usd), { class: 'num' }), el('td', ms(g.mean_latency_ms), { class: 'num' }));
    return tr;
  }));
  const box = $('detail-chart');
  if (detailChart) detailChart.destroy();
  detailChart = null;
  box.replaceChildren();
  if (detail.samples.length === 0) {
    box.append(el('p', 'No samples yet (bots on this host are sampled every metrics interval).', { class: 'muted' }));
    return;
  }
  const xs = detail.samples.map((s) => (typeof s.ts === 'number' ? s.ts : Date.parse(s.ts) / 1000));
  const fg = cssVar('--fg');
  const grid = cssVar('--line');
  detailChart = new uPlot({
    width: Math.max(300, box.clientWidth || 680),
    height: 240,
    series: [{}, { label: 'rss MiB', stroke: PALETTE[0], scale: 'mb' }, { label: 'cpu %', stroke: PALETTE[1], scale: 'pct' }],
    axes: [
      { stroke: fg, grid: { stroke: grid } },
      { stroke: fg, scale: 'mb', grid: { stroke: grid } },
      { stroke: fg, scale: 'pct', side: 1, grid: { show: false } },
    ],
    scales: { x: { time: true } },
  }, [xs, detail.samples.map((s) => s.rss_mb), detail.samples.map((s) => s.cpu_pct)], box);
}

// ---------------------------------------------------------------- wiring

function showError(err) {
  console.error(err);
  setLive('down', String(err.message || err));
}

function setView(view) {
  state.view = view;
  for (const b of document.querySelectorAll('.tab')) b.setAttribute('aria-pressed', String(b.dataset.view === view));
  $('fleet').hidden = view !== 'fleet';
  $('usage').hidden = view !== 'usage';
  if (view === 'usage') loadUsage().catch(showError);
}

function setRange(range) {
  state.range = range;
  for (const b of document.querySelectorAll('.range')) b.setAttribute('aria-pressed', String(b.dataset.range === range.kind));
  loadUsage().catch(showError);
}

function wire() {
  $('token-save').addEventListener('click', saveToken);
  $('token-input').addEventListener('keydown', (e) => { if (e.key === 'Enter') saveToken(); });
  for (const b of document.querySelectorAll('.tab')) b.addEventListener('click', () => setView(b.dataset.view));
  for (const b of document.querySelectorAll('.range')) b.addEventListener('click', () => setRange({ kind: b.dataset.range }));
  $('custom-apply').addEventListener('click', () => {
    const since = Date.parse($('custom-since').value);
    const until = Date.parse($('custom-until').value);
    if (Number.isFinite(since) && Number.isFinite(until) && until > since) setRange({ kind: 'custom', since, until });
  });
  $('stack-by').addEventListener('change', () => loadUsage().catch(showError));
  $('metric').addEventListener('change', () => state.usage && renderUsage().catch(showError));
  $('filter').addEventListener('input', () => renderFleet());
  $('status-filter').addEventListener('change', () => renderFleet());
  for (const th of document.querySelectorAll('#bots th[data-sort]')) {
    th.addEventListener('click', () => {
      const key = th.dataset.sort;
      state.sort = { key, dir: state.sort.key === key ? -state.sort.dir : 1 };
      for (const other of document.querySelectorAll('#bots th[data-sort]')) other.removeAttribute('aria-sort');
      th.setAttribute('aria-sort', state.sort.dir > 0 ? 'ascending' : 'descending');
      renderFleet();
    });
  }
  $('bot-rows').addEventListener('click', (e) => {
    const tr = e.target.closest('tr[data-channel]');
    if (tr) showDetail(tr.getAttribute('data-channel')).catch(showError);
  });
  $('fleet-rows').addEventListener('click', (e) => {
    const tr = e.target.closest('tr[data-channel]');
    if (tr) showDetail(tr.getAttribute('data-channel'), tr.getAttribute('data-monitor')).catch(showError);
  });
  $('detail-close').addEventListener('click', () => { $('detail').hidden = true; });
  setInterval(tick, 1000);
  document.addEventListener('scroll', tickSoon, { passive: true, capture: true });
}

// Monitors sharing a PostgreSQL: every monitor's bots, as each last stored
// them (/api/v1/fleet); hidden on SQLite, where the table above is the fleet.
async function loadMonitors() {
  const fleet = await api('/api/v1/fleet');
  const section = document.getElementById('monitors');
  state.storage = fleet.storage;
  if (fleet.storage !== 'postgresql') {
    section.hidden = true;
    return;
  }
  section.hidden = false;
  const names = fleet.monitors.map((m) => `${m.monitor_id}${m.monitor_id === fleet.monitor_id ? ' (this one)' : ''}${m.stopped_at ? ' stopped' : ''}`);
  document.getElementById('monitor-list').textContent = names.join(', ');
  const rows = fleet.bots.map((bot) => {
    const tr = el('tr', undefined, { 'data-status': bot.status, 'data-channel': bot.channel, 'data-monitor': bot.monitor_id });
    tr.append(
      el('td', bot.monitor_id),
      el('td', bot.channel),
      el('td', bot.status),
      el('td', ago(Date.now() - Date.parse(bot.last_seen))),
      el('td', bot.status_reason ?? ''),
    );
    return tr;
  });
  document.getElementById('fleet-rows').replaceChildren(...rows);
}

// Heartbeats are not events: last heartbeat, lag and rss come from a refresh
// that is rarer for big fleets, and starts after the first load.
function refresh() {
  const every = Math.max(2000, state.bots.size * 2);
  setTimeout(() => Promise.all([loadBots(), loadMonitors()]).catch(showError).finally(refresh), every);
}

wire();
startAlertPanel(api, el);
Promise.all([loadBots(), loadMonitors()]).catch(showError).finally(refresh);
stream();
