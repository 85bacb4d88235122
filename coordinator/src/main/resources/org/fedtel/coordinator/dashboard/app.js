'use strict';
// fedtel dashboard: reads the JSON API and renders; verifies inclusion proofs in the browser.

const state = { offset: 0, limit: 25, total: 0, kinds: ['genesis', 'site_enrolled', 'round_started', 'data_use',
  'round_committed', 'round_aborted', 'budget_exhausted', 'model_released'] };

async function api(path) {
  const r = await fetch(path, { cache: 'no-store' });
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || ('HTTP ' + r.status));
  return body;
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function row(cells) {
  const tr = document.createElement('tr');
  for (const c of cells) {
    const td = document.createElement('td');
    if (c instanceof Node) td.appendChild(c); else td.textContent = c === null || c === undefined ? '—' : String(c);
    tr.appendChild(td);
  }
  return tr;
}

function fmtEps(v) {
  if (v === 'Infinity') return '∞';
  return typeof v === 'number' ? v.toFixed(3) : String(v);
}

function fmtTime(ms) {
  return ms > 0 ? new Date(ms).toISOString().replace('T', ' ').replace('Z', '') : '—';
}

async function refreshStatus() {
  const s = await api('/api/status');
  document.getElementById('consortium').textContent = s.consortium;
  const summary = document.getElementById('summary');
  summary.textContent = '';
  summary.appendChild(el('span', s.live ? 'live' : 'offline ledger copy', s.live ? 'badge live' : 'badge'));
  summary.appendChild(el('span', `${s.ledger_size} ledger entries · latest signed checkpoint at size ${s.latest_checkpoint_size} · `
    + `${s.rounds_committed} rounds committed, ${s.rounds_aborted} aborted · ${s.sites_enrolled} sites enrolled`
    + (s.live ? ` · ${s.sites_connected} connected` : '')));
  const sec = document.getElementById('progress-section');
  if (s.current_round) {
    sec.hidden = false;
    const p = s.current_round;
    const box = document.getElementById('progress');
    box.textContent = '';
    box.appendChild(el('div', `round ${p.round}: ${p.phase} — ${p.responded}/${p.sampled} sites responded`));
    box.appendChild(bar(p.sampled ? p.responded / p.sampled : 0));
  } else {
    sec.hidden = true;
  }
}

function bar(fraction) {
  const outer = el('div', null, 'bar');
  const inner = el('div', null, fraction > 1 ? 'over' : fraction > 0.8 ? 'high' : '');
  inner.style.width = Math.min(100, Math.max(0, fraction * 100)).toFixed(1) + '%';
  outer.appendChild(inner);
  return outer;
}

async function refreshSites() {
  const sites = await api('/api/sites');
  const body = document.querySelector('#sites tbody');
  body.textContent = '';
  for (const s of sites) {
    const budget = s.epsilon_budget === 'Infinity' ? Infinity : s.epsilon_budget;
    const frac = Number.isFinite(budget) && budget > 0 ? s.epsilon_spent / budget : 0;
    const connected = s.connected === null ? '—' : (s.connected ? 'yes' : 'no');
    body.appendChild(row([s.site, connected, `${fmtEps(s.epsilon_spent)} / ${fmtEps(s.epsilon_budget)}`
      + (s.exhausted ? ' (exhausted)' : ''), bar(frac), s.data_uses]));
  }
}

// A finite number, or null ("NaN", "Infinity" and missing values are left out of charts).
function finite(v) {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function fmtNum(v) {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'number') return String(v);
  return Math.abs(v) >= 1000 || Number.isInteger(v) ? String(v) : v.toPrecision(4);
}

function maxCharged(r) {
  const v = Object.values(r.epsilon_charged || {}).filter(x => typeof x === 'number');
  return v.length ? Math.max(...v) : null;
}

async function refreshRounds() {
  const rounds = await api('/api/rounds');
  // Every metric any round carries, by name: one table column and one chart each.
  const keys = [...new Set(rounds.flatMap(r => Object.keys(r.metrics || {})))].sort();
  const head = document.querySelector('#rounds thead');
  head.textContent = '';
  const hr = document.createElement('tr');
  for (const h of ['round', 'status', 'sampled', 'survivors', 'dropped', 'duration', 'max round ε', 'ε charged (sites)', 'train loss', ...keys]) {
    hr.appendChild(el('th', h));
  }
  head.appendChild(hr);
  const body = document.querySelector('#rounds tbody');
  body.textContent = '';
  for (const r of rounds.slice().reverse()) {
    const charged = Object.entries(r.epsilon_charged || {});
    body.appendChild(row([r.round, el('span', r.status + (r.abort_reason ? ': ' + r.abort_reason : ''), 'status-' + r.status),
      r.sampled.length, r.survivors.length, r.dropped.join(', ') || '—',
      r.duration_ms === null ? null : (r.duration_ms / 1000).toFixed(1) + ' s', fmtEps(r.max_round_epsilon),
      charged.length ? `${fmtEps(maxCharged(r))} (${charged.length})` : null,
      r.train_loss === null ? null : fmtNum(r.train_loss),
      ...keys.map(k => fmtNum((r.metrics || {})[k]))]));
  }
  const box = document.getElementById('curve');
  box.textContent = '';
  const series = [];
  if (!keys.includes('train_loss')) series.push({ id: 'learning-curve', title: 'training loss', y: r => finite(r.train_loss) });
  for (const k of keys) series.push({ id: k === 'train_loss' ? 'learning-curve' : 'metric-' + k, title: k, y: r => finite((r.metrics || {})[k]) });
  series.push({ id: 'duration-curve', title: 'round duration (s)', y: r => r.duration_ms === null ? null : r.duration_ms / 1000 });
  series.push({ id: 'survivors-curve', title: 'survivors', y: r => r.status === 'running' ? null : r.survivors.length });
  series.push({ id: 'epsilon-curve', title: 'ε charged in the round (largest over sites)', y: r => finite(maxCharged(r)) });
  let drawn = 0;
  for (const s of series) {
    const points = rounds.map(r => ({ x: r.round, y: s.y(r) })).filter(p => p.y !== null);
    if (points.length >= 2) {
      box.appendChild(drawCurve(points, s.title, s.id));
      drawn++;
    }
  }
  if (!rounds.some(r => finite(r.train_loss) !== null || Object.keys(r.metrics || {}).length > 0)) {
    box.appendChild(el('p', 'No training metrics (an offline ledger records privacy and outcomes, not losses).'));
  } else if (drawn === 0) {
    box.appendChild(el('p', 'Learning curves after two rounds.'));
  }
}

function drawCurve(points, title, id) {
  const W = 520, H = 180, P = 36, ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('width', W); svg.setAttribute('height', H); svg.setAttribute('id', id); svg.setAttribute('class', 'curve');
  const xs = points.map(p => p.x), ys = points.map(p => p.y);
  const x0 = Math.min(...xs), x1 = Math.max(...xs);
  let y0 = Math.min(...ys), y1 = Math.max(...ys);
  const flat = y1 - y0 <= 1e-12 * Math.max(1, Math.abs(y1));
  if (flat) { const pad = y0 === 0 ? 1 : Math.abs(y0) * 0.5; y0 -= pad; y1 += pad; } // a constant series: a level line in the middle
  const sx = x => P + (x - x0) / Math.max(1e-12, x1 - x0) * (W - 2 * P);
  const sy = y => H - P - (y - y0) / Math.max(1e-12, y1 - y0) * (H - 2 * P);
  const line = document.createElementNS(ns, 'polyline');
  line.setAttribute('points', points.map(p => `${sx(p.x)},${sy(p.y)}`).join(' '));
  line.setAttribute('fill', 'none'); line.setAttribute('stroke', '#3b7dd8'); line.setAttribute('stroke-width', '2');
  svg.appendChild(line);
  const axis = document.createElementNS(ns, 'path');
  axis.setAttribute('d', `M${P},${P / 2} V${H - P} H${W - P / 2}`); axis.setAttribute('stroke', '#888'); axis.setAttribute('fill', 'none');
  svg.appendChild(axis);
  const label = (x, y, t) => { const e = document.createElementNS(ns, 'text'); e.setAttribute('x', x); e.setAttribute('y', y); e.textContent = t; svg.appendChild(e); };
  label(P, H - P / 3, 'round ' + x0); label(W - P - 40, H - P / 3, 'round ' + x1);
  if (flat) label(2, sy(ys[0]) + 4, ys[0].toPrecision(3));
  else { label(2, sy(y1) + 4, y1.toPrecision(3)); label(2, sy(y0), y0.toPrecision(3)); }
  label(W / 2 - 60, 14, title);
  return svg;
}

async function refreshEntries() {
  const q = new URLSearchParams({ offset: state.offset, limit: state.limit });
  const kind = document.getElementById('f-kind').value, site = document.getElementById('f-site').value.trim(),
    round = document.getElementById('f-round').value.trim();
  if (kind) q.set('kind', kind);
  if (site) q.set('site', site);
  if (round) q.set('round', round);
  const page = await api('/api/ledger/entries?' + q);
  state.total = page.total;
  const body = document.querySelector('#entries tbody');
  body.textContent = '';
  for (const e of page.entries) {
    const tr = row([e.index, e.kind, e.round, e.site, fmtTime(e.timestamp)]);
    tr.className = 'clickable';
    tr.addEventListener('click', () => openEntry(e.index));
    body.appendChild(tr);
  }
  document.getElementById('page-info').textContent =
    `${page.total === 0 ? 0 : state.offset + 1}–${state.offset + page.entries.length} of ${page.total}`;
}

async function openEntry(index) {
  const e = await api('/api/ledger/entries/' + index);
  state.entry = e;
  document.getElementById('entry').hidden = false;
  document.getElementById('entry-title').textContent = `Entry ${e.index}: ${e.kind}`;
  const body = document.querySelector('#entry-fields tbody');
  body.textContent = '';
  body.appendChild(row(['time (UTC)', fmtTime(e.timestamp)]));
  for (const [k, v] of Object.entries(e.fields)) body.appendChild(row([k, Array.isArray(v) ? v.join(', ') : v]));
  body.appendChild(row(['previous hash', e.previous_hash]));
  body.appendChild(row(['leaf hash (server)', e.leaf_hash]));
  body.appendChild(row(['stored bytes', e.bytes_base64.length / 4 * 3 + ' bytes (base64 in the API)']));
  document.getElementById('verify-result').textContent = '';
}

const hexToBytes = h => Uint8Array.from(h.match(/../g) || [], b => parseInt(b, 16));
const bytesToHex = b => Array.from(b, x => x.toString(16).padStart(2, '0')).join('');
const b64ToBytes = s => Uint8Array.from(atob(s), c => c.charCodeAt(0));
async function sha256(...parts) {
  const len = parts.reduce((n, p) => n + p.length, 0), buf = new Uint8Array(len);
  let o = 0; for (const p of parts) { buf.set(p, o); o += p.length; }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
}

// RFC 9162 section 2.1.3.2: verify an inclusion proof of leaf `index` in a tree of `size` leaves.
async function rootFromInclusionProof(index, size, leafHash, proof) {
  if (index >= size) throw new Error('index beyond tree size');
  let fn = index, sn = size - 1, r = leafHash;
  for (const p of proof) {
    if (sn === 0) throw new Error('proof has more elements than the tree has levels');
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(Uint8Array.of(1), p, r);
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      r = await sha256(Uint8Array.of(1), r, p);
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new Error('proof is too short for the tree size');
  return r;
}

async function checkNoteSignature(note, coordinatorKeyHex) {
  const blank = note.indexOf('\n\n');
  const text = note.slice(0, blank + 1);
  const first = note.slice(blank + 2).split('\n')[0];
  const sig = b64ToBytes(first.split(' ').pop()).slice(4);
  try {
    const key = await crypto.subtle.importKey('raw', hexToBytes(coordinatorKeyHex), { name: 'Ed25519' }, false, ['verify']);
    return await crypto.subtle.verify({ name: 'Ed25519' }, key, sig, new TextEncoder().encode(text)) ? 'valid' : 'INVALID';
  } catch (err) {
    return 'not checked (this browser has no Ed25519 in WebCrypto)';
  }
}

async function verifyEntry() {
  const out = document.getElementById('verify-result');
  const e = state.entry;
  try {
    const proof = await api('/api/ledger/proof/' + e.index);
    if (!proof.checkpoint) throw new Error('no signed checkpoint at size ' + proof.size);
    const leaf = await sha256(Uint8Array.of(0), b64ToBytes(e.bytes_base64));
    const root = await rootFromInclusionProof(e.index, proof.size, leaf, proof.proof.map(hexToBytes));
    const signedRoot = b64ToBytes(proof.checkpoint.root_base64);
    const genesis = await api('/api/ledger/entries/0');
    const sig = await checkNoteSignature(proof.checkpoint.note, genesis.fields.coordinator_key);
    const ok = bytesToHex(root) === bytesToHex(signedRoot) && sig !== 'INVALID';
    out.className = ok ? 'ok' : 'fail';
    out.textContent = (ok ? '✓ included' : '✗ NOT VERIFIED') + `\nleaf hash computed here: ${bytesToHex(leaf)}`
      + `\nroot from ${proof.proof.length} proof hashes: ${bytesToHex(root)}`
      + `\nsigned checkpoint root (size ${proof.size}): ${bytesToHex(signedRoot)}`
      + `\ncheckpoint signature by the coordinator: ${sig}; signers: ${proof.checkpoint.signers.join(', ')}`;
  } catch (err) {
    out.className = 'fail';
    out.textContent = '✗ ' + err.message;
  }
}

async function refreshAll() {
  try {
    await refreshStatus();
    await refreshSites();
    await refreshRounds();
    await refreshEntries();
  } catch (err) {
    document.getElementById('summary').textContent = 'error: ' + err.message;
  }
}

document.addEventListener('DOMContentLoaded', () => {
  const kinds = document.getElementById('f-kind');
  for (const k of state.kinds) { const o = el('option', k); o.value = k; kinds.appendChild(o); }
  document.getElementById('filters').addEventListener('submit', ev => { ev.preventDefault(); state.offset = 0; refreshEntries(); });
  document.getElementById('prev').addEventListener('click', () => { state.offset = Math.max(0, state.offset - state.limit); refreshEntries(); });
  document.getElementById('next').addEventListener('click', () => { if (state.offset + state.limit < state.total) { state.offset += state.limit; refreshEntries(); } });
  document.getElementById('verify').addEventListener('click', verifyEntry);
  refreshAll().then(() => {
    // ?autoverify=N opens entry N and verifies it (used by the browser test and for sharing a link).
    const auto = new URLSearchParams(location.search).get('autoverify');
    if (auto !== null) openEntry(Number(auto)).then(verifyEntry);
  });
  setInterval(async () => { try { await refreshStatus(); await refreshSites(); await refreshRounds(); } catch (e) { /* next tick */ } }, 3000);
});
