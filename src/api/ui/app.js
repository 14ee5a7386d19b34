// muster's web UI: polls the agent's HTTP API every two seconds and draws the view the URL's
// hash names (#/services, #/service/NAME, #/nodes, #/node/NAME, #/members, #/dns). Every string
// from the API reaches the DOM as text (textContent, createTextNode, setAttribute), never as HTML.
'use strict';

(function () {
  const POLL_MS = 2000;
  const TIMEOUT_MS = 4000;
  const ORDER = { passing: 0, warning: 1, critical: 2 };

  const state = {
    view: null,
    data: null,       // the last successful poll of the current view
    metrics: null,    // {at, queries, upstreams: {key: queries}} of the previous metrics poll
    rates: null,      // computed per second between the last two metrics polls
    timer: null,
    generation: 0,    // a poll started for an older view is dropped
  };

  // ---- DOM helpers: children are nodes or strings (turned into text nodes). ----
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined) continue;
      if (k === 'class') node.className = v;
      else node.setAttribute(k, String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.appendChild(typeof c === 'string' || typeof c === 'number'
        ? document.createTextNode(String(c)) : c);
    }
    return node;
  }

  function link(hash, text) { return el('a', { href: hash }, text); }
  function tags(list) { return (list || []).map((t) => el('span', { class: 'tag' }, t)); }
  function status(s) { return el('span', { class: 'status ' + s }, s); }
  function badge(kind, n) { return el('span', { class: 'badge ' + (n ? kind : 'none'), title: kind }, String(n)); }
  function worst(statuses) {
    let w = 'passing';
    for (const s of statuses) {
      // maintenance and anything unknown count as critical
      const k = Object.prototype.hasOwnProperty.call(ORDER, s) ? s : 'critical';
      if (ORDER[k] > ORDER[w]) w = k;
    }
    return w;
  }
  function table(headers, rows, attrs) {
    return el('table', attrs,
      el('thead', null, el('tr', null, headers.map((h) => el('th', null, h)))),
      el('tbody', null, rows.map((r) => el('tr', r.attrs,
        r.cells.map((c, i) => el('td', { 'data-label': headers[i] }, c))))));
  }
  function frag(hash) { return '#/' + hash.map(encodeURIComponent).join('/'); }

  // ---- the API ----
  class HttpError extends Error {
    constructor(path, status, text) {
      super(path + ': HTTP ' + status + (text ? ' ' + text.trim().slice(0, 200) : ''));
      this.status = status;
    }
  }

  // kind: 'json' (default), 'text', or 'indexed' ({body, index}: the JSON and X-Consul-Index).
  async function get(path, kind) {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), TIMEOUT_MS);
    try {
      const r = await fetch(path, { cache: 'no-store', signal: ctl.signal });
      if (!r.ok) throw new HttpError(path, r.status, await r.text().catch(() => ''));
      if (kind === 'indexed') return { body: await r.json(), index: r.headers.get('X-Consul-Index') };
      return kind === 'text' ? await r.text() : await r.json();
    } catch (e) {
      if (e.name === 'AbortError') throw new Error(path + ': no answer within ' + TIMEOUT_MS / 1000 + ' s');
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  // Prometheus text format 0.0.4: [{name, labels: {}, value}], comments and junk skipped.
  function parseMetrics(text) {
    const out = [];
    const line = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/;
    const label = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
    for (const raw of text.split('\n')) {
      const s = raw.trim();
      if (!s || s[0] === '#') continue;
      const m = line.exec(s);
      if (!m) continue;
      const labels = {};
      let l;
      label.lastIndex = 0;
      while (m[3] !== undefined && (l = label.exec(m[3])) !== null)
        labels[l[1]] = l[2].replace(/\\n/g, '\n').replace(/\\(.)/g, '$1');
      out.push({ name: m[1], labels, value: Number(m[4]) });
    }
    return out;
  }

  // ---- the views: load(args) fetches, draw(data) returns the nodes of <main> ----
  const views = {
    services: {
      // One health read per service: only when the catalog's index moved since the last poll
      // (it moves with every write, check updates included), so an idle page costs one read.
      async load() {
        const { body: catalog, index } = await get('/v1/catalog/services', 'indexed');
        const last = this.last;
        if (last && index && last.index === index) return last.list;
        const names = Object.keys(catalog).sort();
        const health = await Promise.all(
          names.map((n) => get('/v1/health/service/' + encodeURIComponent(n))));
        const list = names.map((name, i) => {
          const counts = { passing: 0, warning: 0, critical: 0 };
          for (const entry of health[i]) counts[worst((entry.Checks || []).map((c) => c.Status))]++;
          return { name, tags: catalog[name] || [], counts, instances: health[i].length };
        });
        this.last = { index, list };
        return list;
      },
      draw(list) {
        if (!list.length) return [el('h1', null, 'Services'), el('p', { class: 'muted' }, 'No services registered.')];
        const rows = list.map((s) => {
          const st = s.counts.critical ? 'critical' : s.counts.warning ? 'warning' : 'passing';
          return {
            attrs: { 'data-service': s.name, 'data-status': st, class: 'service' },
            cells: [
              [el('span', { class: 'dot ' + st, title: st }), link(frag(['service', s.name]), s.name)],
              [badge('passing', s.counts.passing), badge('warning', s.counts.warning),
                badge('critical', s.counts.critical)],
              String(s.instances),
              tags(s.tags),
            ],
          };
        });
        return [el('h1', null, 'Services'),
          table(['Service', 'Health (passing / warning / critical)', 'Instances', 'Tags'], rows,
            { id: 'services' })];
      },
    },

    service: {
      async load(name) {
        return { name, entries: await get('/v1/health/service/' + encodeURIComponent(name)) };
      },
      draw(d) {
        const out = [el('p', null, link('#/services', '← Services')), el('h1', null, d.name)];
        if (!d.entries.length) return out.concat(el('p', { class: 'muted' }, 'No instances.'));
        const cards = d.entries.map((e) => {
          const checks = e.Checks || [];
          const st = worst(checks.map((c) => c.Status));
          const svc = e.Service || {};
          const node = e.Node || {};
          return el('div', { class: 'card instance', 'data-instance': svc.ID, 'data-status': st },
            el('h3', null, el('span', { class: 'dot ' + st, title: st }), svc.ID || svc.Service),
            el('dl', { class: 'kv' },
              el('dt', null, 'Node'), el('dd', null, link(frag(['node', node.Node]), node.Node)),
              el('dt', null, 'Address'), el('dd', null, svc.Address || node.Address || ''),
              el('dt', null, 'Port'), el('dd', null, String(svc.Port || 0)),
              el('dt', null, 'Tags'), el('dd', null, tags(svc.Tags))),
            el('h2', null, 'Checks'),
            checks.length ? checks.map(drawCheck) : el('p', { class: 'muted' }, 'No checks.'));
        });
        return out.concat(el('div', { class: 'cards' }, cards));
      },
    },

    nodes: {
      async load() {
        const [nodes, checks] = await Promise.all([get('/v1/catalog/nodes'), get('/v1/health/state/any')]);
        return { nodes, checks };
      },
      draw(d) {
        const rows = d.nodes.map((n) => {
          const mine = d.checks.filter((c) => c.Node === n.Node);
          const nodeLevel = mine.filter((c) => !c.ServiceID);
          const st = worst(nodeLevel.map((c) => c.Status));
          const counts = { passing: 0, warning: 0, critical: 0 };
          for (const c of mine) counts[worst([c.Status])]++;
          const meta = Object.entries(n.Meta || {}).map(([k, v]) => el('span', { class: 'tag' }, k + '=' + v));
          return {
            attrs: { 'data-node': n.Node, 'data-status': st },
            cells: [[el('span', { class: 'dot ' + st, title: st }), link(frag(['node', n.Node]), n.Node)],
              n.Address, status(st),
              [badge('passing', counts.passing), badge('warning', counts.warning), badge('critical', counts.critical)],
              meta],
          };
        });
        return [el('h1', null, 'Nodes'),
          table(['Node', 'Address', 'Node health', 'All checks', 'Metadata'], rows, { id: 'nodes' })];
      },
    },

    node: {
      async load(name) {
        const [node, checks] = await Promise.all([
          get('/v1/catalog/node/' + encodeURIComponent(name)),
          get('/v1/health/node/' + encodeURIComponent(name))]);
        return { name, node, checks };
      },
      draw(d) {
        const n = (d.node && d.node.Node) || {};
        const services = Object.values((d.node && d.node.Services) || {});
        const out = [el('p', null, link('#/nodes', '← Nodes')), el('h1', null, d.name),
          el('dl', { class: 'kv' },
            el('dt', null, 'Address'), el('dd', null, n.Address || ''),
            el('dt', null, 'Datacenter'), el('dd', null, n.Datacenter || ''),
            el('dt', null, 'Metadata'),
            el('dd', null, Object.entries(n.Meta || {}).map(([k, v]) => el('span', { class: 'tag' }, k + '=' + v))))];
        out.push(el('h2', null, 'Services'));
        out.push(services.length
          ? table(['Service', 'ID', 'Port', 'Tags'], services.map((s) => ({
            cells: [link(frag(['service', s.Service]), s.Service), s.ID, String(s.Port || 0), tags(s.Tags)],
          })))
          : el('p', { class: 'muted' }, 'No services.'));
        out.push(el('h2', null, 'Checks'));
        out.push(d.checks.length ? el('div', { class: 'card' }, d.checks.map(drawCheck))
          : el('p', { class: 'muted' }, 'No checks.'));
        return out;
      },
    },

    members: {
      async load() { return get('/v1/agent/members'); },
      draw(list) {
        const names = { 1: 'alive', 2: 'leaving', 3: 'left', 4: 'failed' };
        const css = { 1: 'passing', 2: 'warning', 3: 'warning', 4: 'critical' };
        const rows = list.map((m) => {
          const t = m.Tags || {};
          const role = t.role === 'consul' ? 'server' : t.role === 'node' ? 'client' : (t.role || '');
          return {
            attrs: { 'data-member': m.Name, 'data-status': names[m.Status] || String(m.Status) },
            cells: [m.Name, (m.Addr || '') + (m.Port ? ':' + m.Port : ''), role,
              el('span', { class: 'status ' + (css[m.Status] || 'critical') }, names[m.Status] || 'status ' + m.Status)],
          };
        });
        return [el('h1', null, 'Members'), table(['Name', 'Address', 'Role', 'Status'], rows, { id: 'members' })];
      },
    },

    dns: {
      async load() {
        const [cache, metrics] = await Promise.all([
          get('/v1/agent/cache/stats').catch((e) => ({ error: e })),
          get('/v1/agent/metrics?format=prometheus', 'text').catch((e) => ({ error: e }))]);
        // Only a missing endpoint is "not available"; an unreachable agent is the banner's.
        for (const r of [cache, metrics])
          if (r && r.error && !(r.error instanceof HttpError)) throw r.error;
        const samples = typeof metrics === 'string' ? parseMetrics(metrics) : null;
        updateRates(samples);
        return { cache, samples, metricsError: metrics && metrics.error };
      },
      draw(d) { return drawDns(d); },
    },
  };

  function drawCheck(c) {
    const st = worst([c.Status]);
    return el('div', { class: 'check', 'data-check': c.CheckID, 'data-status': c.Status },
      el('div', null, el('span', { class: 'badge ' + st }, c.Status), ' ', el('strong', null, c.Name || c.CheckID),
        ' ', el('span', { class: 'muted' }, c.CheckID + (c.Type ? ' · ' + c.Type : ''))),
      c.Output ? el('pre', { class: 'output' }, c.Output) : el('div', { class: 'muted' }, 'no output'));
  }

  // The agent labels upstream series by upstream and by the zone they serve ("." for recursors).
  function upstreamKey(labels) { return labels.upstream + '\u0000' + (labels.zone || ''); }

  function sum(samples, name, filter) {
    let total = 0;
    let seen = false;
    for (const s of samples)
      if (s.name === name && (!filter || filter(s.labels))) { total += s.value; seen = true; }
    return seen ? total : null;
  }

  // Queries per second from the counters' change between two polls (a restart resets them).
  function updateRates(samples) {
    if (!samples) { state.metrics = null; state.rates = null; return; }
    const now = performance.now();
    const upstreams = {};
    for (const s of samples)
      if (s.name === 'muster_upstream_queries_total')
        upstreams[upstreamKey(s.labels)] = (upstreams[upstreamKey(s.labels)] || 0) + s.value;
    const cur = { at: now, queries: sum(samples, 'muster_dns_queries_total'), upstreams };
    const prev = state.metrics;
    if (prev && now - prev.at > 200) {
      const secs = (now - prev.at) / 1000;
      const rate = (a, b) => (a === null || b === null || b === undefined || a < b ? null : (a - b) / secs);
      const up = {};
      for (const [k, v] of Object.entries(upstreams)) up[k] = rate(v, prev.upstreams[k]);
      state.rates = { queries: rate(cur.queries, prev.queries), upstreams: up };
    }
    state.metrics = cur;
  }

  function fmt(n, digits) {
    if (n === null || n === undefined || Number.isNaN(n)) return '–';
    return Number(n).toLocaleString(undefined, { maximumFractionDigits: digits === undefined ? 1 : digits });
  }
  function pct(a, b) { return b > 0 ? fmt((100 * a) / b, 1) + ' %' : '–'; }
  function stat(title, value, sub, attrs) {
    return el('div', Object.assign({ class: 'card' }, attrs || {}),
      el('div', { class: 'muted' }, title), el('div', { class: 'stat' }, value), sub ? el('div', { class: 'muted' }, sub) : null);
  }

  function drawDns(d) {
    const out = [el('h1', null, 'DNS')];
    const cards = [];
    const m = d.samples;
    const c = d.cache && !d.cache.error ? d.cache : null;
    let entries = c ? c.Entries : m && sum(m, 'muster_cache_entries');
    let hits = c ? c.Hits : m && sum(m, 'muster_cache_hits_total');
    let misses = c ? c.Misses : m && sum(m, 'muster_cache_misses_total');
    if (entries !== null && entries !== undefined)
      cards.push(stat('Cache entries', fmt(entries, 0), c && c.Capacity ? 'of ' + fmt(c.Capacity, 0) : null, { id: 'cache-entries' }));
    if (hits !== null && misses !== null && hits !== undefined)
      cards.push(stat('Cache hit ratio', pct(hits, hits + misses), fmt(hits, 0) + ' hits, ' + fmt(misses, 0) + ' misses', { id: 'cache-hit-ratio' }));
    if (c)
      cards.push(stat('Stale answers', fmt(c.StaleHits, 0), fmt(c.Evictions, 0) + ' evictions, ' + fmt(c.Prefetches, 0) + ' prefetches'));
    if (!c && !m) cards.push(stat('Cache', '–', 'cache statistics not available'));
    if (m) {
      const q = sum(m, 'muster_dns_queries_total');
      cards.push(stat('Queries per second', state.rates ? fmt(state.rates.queries, 1) : '…',
        q === null ? 'no DNS query counters' : fmt(q, 0) + ' queries since start', { id: 'qps' }));
    }
    out.push(el('div', { class: 'cards' }, cards));

    out.push(el('h2', null, 'Upstreams'));
    if (!m) {
      const why = d.metricsError && d.metricsError.status ? ' (HTTP ' + d.metricsError.status + ')' : '';
      out.push(el('p', { class: 'muted', id: 'metrics-missing' }, 'Metrics not available' + why +
        ': upstream health, RTT and queries per second come from /v1/agent/metrics?format=prometheus.'));
      return out;
    }
    // One row per upstream and zone (recursors, and each forward zone's own upstreams).
    const keys = new Map();
    for (const s of m)
      if (s.name.startsWith('muster_upstream_') && s.labels.upstream !== undefined)
        keys.set(upstreamKey(s.labels), { upstream: s.labels.upstream, zone: s.labels.zone || '' });
    if (!keys.size) { out.push(el('p', { class: 'muted', id: 'no-upstreams' }, 'No upstreams (no recursors configured).')); }
    else {
      const rows = [...keys.entries()].sort().map(([key, u]) => {
        const is = (l) => upstreamKey(l) === key;
        const up = sum(m, 'muster_upstream_up', is);
        const rttSum = sum(m, 'muster_upstream_rtt_seconds_sum', is);
        const rttCount = sum(m, 'muster_upstream_rtt_seconds_count', is);
        const st = up === null ? 'warning' : up > 0 ? 'passing' : 'critical';
        const qps = state.rates && state.rates.upstreams[key];
        return {
          attrs: { 'data-upstream': u.upstream, 'data-zone': u.zone, 'data-status': st },
          cells: [u.upstream, u.zone, el('span', { class: 'status ' + st }, up === null ? 'unknown' : up > 0 ? 'up' : 'down'),
            rttCount ? fmt((1000 * rttSum) / rttCount, 2) + ' ms' : '–',
            qps === undefined || qps === null ? '…' : fmt(qps, 1),
            fmt(sum(m, 'muster_upstream_queries_total', is), 0)],
        };
      });
      out.push(table(['Upstream', 'Zone', 'Health', 'Mean RTT', 'Queries/s', 'Queries'], rows, { id: 'upstreams' }));
    }
    const byAnswer = {};
    for (const s of m)
      if (s.name === 'muster_dns_queries_total') byAnswer[s.labels.answer || '?'] = (byAnswer[s.labels.answer || '?'] || 0) + s.value;
    if (Object.keys(byAnswer).length) {
      out.push(el('h2', null, 'Answers by source'));
      out.push(table(['Answered from', 'Queries'], Object.entries(byAnswer).sort().map(([k, v]) => ({ cells: [k, fmt(v, 0)] }))));
    }
    return out;
  }

  // ---- routing, polling, the banner ----
  function route() {
    const parts = (location.hash.replace(/^#\/?/, '') || 'services').split('/').map((p) => {
      try { return decodeURIComponent(p); } catch (e) { return p; }
    });
    const name = Object.prototype.hasOwnProperty.call(views, parts[0]) ? parts[0] : 'services';
    return { name, arg: parts.slice(1).join('/') };
  }

  function banner(message) {
    const b = document.getElementById('banner');
    if (message) {
      b.textContent = message;
      b.hidden = false;
    } else {
      b.textContent = '';
      b.hidden = true;
    }
  }

  function markNav(name) {
    const top = { service: 'services', node: 'nodes' }[name] || name;
    for (const a of document.querySelectorAll('#nav a'))
      a.classList.toggle('active', a.getAttribute('data-view') === top);
  }

  async function header() {
    const self = await get('/v1/agent/self');
    const c = self.Config || {};
    document.getElementById('agent').textContent =
      (c.NodeName || '') + ' · ' + (c.Datacenter || '') + ' · ' + (c.Server ? 'server' : 'agent') + ' · v' + (c.Version || '?');
  }

  async function poll() {
    clearTimeout(state.timer);
    const r = route();
    const key = r.name + '/' + r.arg;
    const generation = ++state.generation;
    if (state.view !== key) {
      state.view = key;
      state.data = null;
      markNav(r.name);
      // not the old view's data under the new view's name while the first read runs
      document.getElementById('main').replaceChildren(el('p', { class: 'muted' }, 'Loading…'));
    }
    try {
      const [data] = await Promise.all([views[r.name].load(r.arg), header()]);
      if (generation !== state.generation) return;
      state.data = data;
      document.getElementById('main').replaceChildren(...views[r.name].draw(data));
      document.getElementById('updated').textContent = 'Updated ' + new Date().toLocaleTimeString();
      banner(null);
      document.body.setAttribute('data-state', 'ok');
    } catch (e) {
      if (generation !== state.generation) return;
      const what = e instanceof HttpError ? 'The agent answered with an error: ' : 'Cannot reach the agent at ' + location.host + ': ';
      banner(what + (e.message || String(e)) + ' — retrying every ' + POLL_MS / 1000 + ' s.');
      document.body.setAttribute('data-state', 'error');
    }
    if (generation === state.generation) state.timer = setTimeout(poll, POLL_MS);
  }

  window.addEventListener('hashchange', () => { state.metrics = null; state.rates = null; poll(); });
  poll();
})();
