// Shared helpers: the token (localStorage), JSON calls with `Authorization: Bearer`, and DOM building that only
// ever sets text (never HTML), so model output and names cannot inject markup or script.
'use strict';

const Tandem = (() => {
  const KEY = 'tandem.token';

  const token = () => localStorage.getItem(KEY);
  const setToken = (t) => localStorage.setItem(KEY, t);
  const logout = () => { localStorage.removeItem(KEY); location.href = '/login.html'; };

  /** Sends to the login page (remembering where we were) when there is no token. */
  function requireLogin() {
    if (!token()) {
      location.href = '/login.html?next=' + encodeURIComponent(location.pathname + location.search);
      return false;
    }
    return true;
  }

  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.reason) || ('HTTP ' + status));
      this.status = status;
      this.body = body;
    }
  }

  /** Calls the API; resolves to {status, data, headers}; rejects with ApiError for 4xx/5xx (401 goes to login). */
  async function api(path, options = {}) {
    const headers = { 'Accept': 'application/json' };
    const t = options.token || token();
    if (t) headers['Authorization'] = 'Bearer ' + t;
    const init = { method: options.method || 'GET', headers };
    if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(options.body);
    }
    const res = await fetch(path, init);
    let data = null;
    const type = res.headers.get('Content-Type') || '';
    if (res.status !== 204 && type.startsWith('application/json')) data = await res.json();
    if (res.status === 401 && !options.token) { logout(); throw new ApiError(401, data); }
    if (!res.ok) throw new ApiError(res.status, data);
    return { status: res.status, data, headers: res.headers };
  }

  /**
   * Builds an element. `props.text` sets textContent; `props.cls` the class; `props.attrs` plain attributes
   * (never event handlers or HTML). Children may be nodes or strings (added as text nodes).
   */
  function el(tag, props = {}, ...children) {
    const e = document.createElement(tag);
    if (props.cls) e.className = props.cls;
    if (props.text !== undefined && props.text !== null) e.textContent = String(props.text);
    if (props.attrs) for (const [k, v] of Object.entries(props.attrs)) {
      if (/^on/i.test(k)) throw new Error('event handler attributes are not allowed');
      e.setAttribute(k, v);
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return e;
  }

  /** A random idempotency key (works outside secure contexts, unlike crypto.randomUUID). */
  function newId() {
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }

  /** Fills the top bar's "who" and "done today" elements; returns /api/me. */
  async function loadMe() {
    const me = (await api('/api/me')).data;
    const who = document.getElementById('who');
    if (who) who.textContent = me.name + (me.admin && me.name !== 'admin' ? ' · admin' : '');
    for (const a of document.querySelectorAll('.admin-only')) a.classList.toggle('hidden', !me.admin);
    const out = document.getElementById('logout');
    if (out) out.addEventListener('click', logout);
    return me;
  }

  const pct = (x) => (x === null || x === undefined ? '–' : (100 * x).toFixed(1) + '%');
  const fixed = (x, d = 2) => (x === null || x === undefined ? '–' : Number(x).toFixed(d));

  /**
   * The ECharts charts of a page: the returned `chart(id, option)` makes the chart of element `id` on first use and
   * replaces its option, over the shared look and the page's `defaults` (tooltips should render in the canvas, so no
   * HTML is built from data). The charts follow the window's size.
   */
  function charts(defaults) {
    const made = {};
    window.addEventListener('resize', () => Object.values(made).forEach((c) => c.resize()));
    return (id, option) => {
      if (!made[id]) made[id] = echarts.init(document.getElementById(id), null, { renderer: 'canvas' });
      made[id].setOption(Object.assign({
        animation: false,
        textStyle: { fontFamily: 'system-ui, "DejaVu Sans", sans-serif' },
      }, defaults, option), true);
    };
  }

  /** A chart title (ECharts `title` option) with an optional subtitle. */
  const chartTitle = (text, sub) => ({ text, subtext: sub, left: 0, textStyle: { fontSize: 14, fontWeight: 600, color: '#1f2430' },
    subtextStyle: { color: '#687083' } });

  /** A KPI card: a big value over its label; `id` (optional) on the card. */
  function kpi(value, label, id) {
    return el('div', { cls: 'card kpi', attrs: id ? { id } : {} }, el('div', { cls: 'value', text: value }), el('div', { cls: 'label', text: label }));
  }

  /** A table cell with text only. */
  function td(text, cls) { return el('td', { cls: cls || '', text }); }

  return { token, setToken, logout, requireLogin, api, ApiError, el, newId, loadMe, pct, fixed, charts, chartTitle, kpi, td };
})();
