'use strict';
// Admin dashboard: datasets and task counts, annotator throughput and gold accuracy, inter-annotator agreement
// (percent agreement, Cohen's kappa per pair, Krippendorff's alpha), label distribution and side bias, with charts
// (Apache ECharts from its WebJar; tooltips render in the canvas, so no HTML is built from data).
(() => {
  const { el, api, pct, fixed, kpi, td } = Tandem;
  const $ = (id) => document.getElementById(id);
  const PALETTE = ['#5b67e8', '#8b5cf6', '#22a06b', '#f59e0b', '#ef4444', '#06b6d4', '#64748b'];
  let selected = null;

  const chart = Tandem.charts({
    color: PALETTE,
    tooltip: { renderMode: 'richText' },
    grid: { left: 48, right: 18, top: 46, bottom: 36, containLabel: true },
  });
  const title = Tandem.chartTitle;

  // ------------------------------------------------------------ overview

  async function loadOverview() {
    const o = (await api('/api/admin/overview')).data;
    const sum = (f) => o.datasets.reduce((a, d) => a + (d.counts ? f(d.counts) : 0), 0);
    const today = o.annotators.reduce((a, x) => a + x.today, 0);
    $('kpis').replaceChildren(
      kpi(String(o.datasets.length), 'datasets'),
      kpi(String(sum((c) => c.tasks)), 'tasks (' + sum((c) => c.done) + ' done)'),
      kpi(String(sum((c) => c.judgements)), 'judgements', 'kpi-judgements'),
      kpi(String(today), 'judgements today'),
      kpi(String(o.annotators.length), 'active annotators'));

    const body = $('dataset-table').querySelector('tbody');
    body.replaceChildren(...o.datasets.map((d) => {
      const c = d.counts || {};
      const details = el('button', { text: 'Details', attrs: { type: 'button' } });
      details.addEventListener('click', () => select(d.id));
      const exp = el('button', { text: 'Export JSONL', attrs: { type: 'button' } });
      exp.addEventListener('click', () => download(d));
      const tr = el('tr', { attrs: { 'data-id': String(d.id) } }, td(d.name), td(c.tasks, 'num'), td(c.open, 'num'), td(c.inProgress, 'num'),
        td(c.done, 'num'), td(c.gold, 'num'), td(c.judgements, 'num'), td(String(d.settings.overlap)), el('td', {}, details, ' ', exp));
      return tr;
    }));

    chart('chart-status', {
      title: title('Task status by dataset'),
      legend: { top: 0, right: 0 },
      xAxis: { type: 'value' },
      yAxis: { type: 'category', data: o.datasets.map((d) => d.name), inverse: true },
      series: [['done', '#22a06b'], ['inProgress', '#f59e0b'], ['open', '#cbd5e1'], ['gold', '#8b5cf6']].map(([k, color]) => ({
        name: k === 'inProgress' ? 'in progress' : k, type: 'bar', stack: 'tasks', itemStyle: { color },
        data: o.datasets.map((d) => (d.counts ? d.counts[k] : 0)),
      })),
    });
    const people = o.annotators.slice().sort((a, b) => b.judgements - a.judgements);
    chart('chart-throughput', {
      title: title('Judgements per annotator'),
      legend: { top: 0, right: 0 },
      xAxis: { type: 'category', data: people.map((a) => a.name), axisLabel: { interval: 0, rotate: people.length > 6 ? 30 : 0 } },
      yAxis: { type: 'value' },
      series: [
        { name: 'total', type: 'bar', data: people.map((a) => a.judgements) },
        { name: 'today', type: 'bar', data: people.map((a) => a.today) },
      ],
    });
    if (selected === null && o.datasets.length) {
      const withData = o.datasets.find((d) => d.counts && d.counts.judgements > 0) || o.datasets[0];
      await select(withData.id);
    }
  }

  // ------------------------------------------------------------ one dataset

  async function select(id) {
    selected = id;
    for (const tr of $('dataset-table').querySelectorAll('tbody tr')) tr.classList.toggle('sel', tr.dataset.id === String(id));
    const s = (await api('/api/datasets/' + id + '/stats')).data;
    $('detail-title').textContent = 'Agreement and quality · ' + s.dataset.name;
    const side = s.sideBias;
    $('detail-kpis').replaceChildren(
      kpi(pct(s.percentAgreement), 'percent agreement', 'kpi-agreement'),
      kpi(fixed(s.krippendorffAlpha, 3), "Krippendorff's α", 'kpi-alpha'),
      kpi(pct(side.shownFirstWinRate), 'side A wins (' + side.decided + ' decided)', 'kpi-side'),
      kpi(String(s.dataset.counts.judgements), 'judgements'));

    const kinds = Object.keys(s.labelDistribution);
    const cats = [];
    const values = [];
    for (const k of kinds) for (const [label, n] of Object.entries(s.labelDistribution[k])) {
      cats.push(kinds.length > 1 ? k + ': ' + label : label);
      values.push(n);
    }
    chart('chart-labels', {
      title: title('Label distribution', kinds.length === 1 ? kinds[0] + ' (task order)' : 'task order'),
      xAxis: { type: 'category', data: cats, axisLabel: { interval: 0, rotate: cats.length > 6 ? 30 : 0 } },
      yAxis: { type: 'value' },
      series: [{ type: 'bar', data: values, barMaxWidth: 48, itemStyle: { borderRadius: [4, 4, 0, 0] } }],
    });

    chart('chart-side', {
      title: title('Side bias', 'share of decided pairwise judgements won by each shown side'),
      xAxis: { type: 'category', data: ['shown first (A)', 'shown second (B)'] },
      yAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } },
      series: [{
        type: 'bar', barMaxWidth: 64,
        data: side.decided ? [100 * side.shownFirstWins / side.decided, 100 * (side.decided - side.shownFirstWins) / side.decided] : [0, 0],
        itemStyle: { borderRadius: [4, 4, 0, 0] },
        label: { show: true, position: 'top', formatter: (p) => p.value.toFixed(1) + '%' },
        markLine: { symbol: 'none', data: [{ yAxis: 50 }], lineStyle: { color: '#ef4444', type: 'dashed' }, label: { formatter: 'unbiased', position: 'insideEndTop' } },
      }],
    });

    const names = [...new Set(s.pairs.flatMap((p) => [p.nameA, p.nameB]))];
    const cells = [];
    for (const p of s.pairs) {
      const a = names.indexOf(p.nameA), b = names.indexOf(p.nameB);
      const k = p.cohenKappa === null ? '-' : Number(p.cohenKappa.toFixed(2));
      cells.push([a, b, k], [b, a, k]);
    }
    chart('chart-kappa', {
      title: title("Cohen's κ between annotators", names.length ? 'pairs that share tasks' : 'no shared tasks yet'),
      grid: { left: 48, right: 18, top: 56, bottom: 60, containLabel: true },
      xAxis: { type: 'category', data: names, axisLabel: { interval: 0, rotate: names.length > 4 ? 30 : 0 } },
      yAxis: { type: 'category', data: names },
      visualMap: { min: -1, max: 1, calculable: false, orient: 'horizontal', left: 'center', bottom: 0, itemHeight: 120,
        inRange: { color: ['#ef4444', '#f8fafc', '#22a06b'] } },
      series: [{ type: 'heatmap', data: cells, label: { show: true } }],
    });

    const gold = s.annotators.filter((a) => a.goldJudged > 0);
    chart('chart-gold', {
      title: title('Gold accuracy', gold.length ? 'judgements on gold (honeypot) tasks' : 'no gold tasks judged yet'),
      xAxis: { type: 'category', data: gold.map((a) => a.name), axisLabel: { interval: 0 } },
      yAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } },
      series: [{ type: 'bar', barMaxWidth: 48, data: gold.map((a) => Number((100 * a.goldAccuracy).toFixed(1))),
        itemStyle: { color: '#22a06b', borderRadius: [4, 4, 0, 0] }, label: { show: true, position: 'top', formatter: '{c}%' } }],
    });

    $('annotator-table').querySelector('tbody').replaceChildren(...s.annotators.map((a) => el('tr', {},
      td(a.name), el('td', {}, el('span', { cls: 'tag' + (a.kind === 'simulated' ? ' sim' : ''), text: a.kind })),
      td(a.judgements, 'num'), td(a.today, 'num'), td(fixed(a.medianSeconds, 1), 'num'), td(fixed(a.judgementsPerHour, 0), 'num'),
      td(a.goldJudged ? pct(a.goldAccuracy) + ' of ' + a.goldJudged : '–', 'num'))));
    $('pair-table').querySelector('tbody').replaceChildren(...s.pairs.map((p) => el('tr', {},
      td(p.nameA + ' · ' + p.nameB), td(p.sharedTasks, 'num'), td(pct(p.percentAgreement), 'num'), td(fixed(p.cohenKappa, 3), 'num'))));
  }

  async function download(d) {
    const res = await fetch('/api/datasets/' + d.id + '/export?kind=pairs', { headers: { Authorization: 'Bearer ' + Tandem.token() } });
    if (!res.ok) return alert('Export failed: HTTP ' + res.status);
    const url = URL.createObjectURL(await res.blob());
    const a = el('a', { attrs: { href: url, download: d.name.replace(/[^A-Za-z0-9._-]/g, '_') + '-pairs.jsonl' } });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  // ------------------------------------------------------------ forms

  $('annotator-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const err = $('annotator-error');
    err.classList.add('hidden');
    try {
      const r = await api('/api/annotators', { method: 'POST', body: { name: $('annotator-name').value, kind: $('annotator-kind').value } });
      $('new-token-value').textContent = r.data.token;
      $('new-token').classList.remove('hidden');
      $('annotator-name').value = '';
    } catch (e) {
      err.textContent = e.message;
      err.classList.remove('hidden');
    }
  });

  $('dataset-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const err = $('dataset-error');
    err.classList.add('hidden');
    try {
      await api('/api/datasets', { method: 'POST', body: { name: $('dataset-name-input').value,
        description: $('dataset-description').value, settings: { overlap: Number($('dataset-overlap').value || 1) } } });
      $('dataset-name-input').value = '';
      await loadOverview();
    } catch (e) {
      err.textContent = (e.body && e.body.field ? e.body.field + ': ' : '') + e.message;
      err.classList.remove('hidden');
    }
  });

  (async () => {
    if (!Tandem.requireLogin()) return;
    const me = await Tandem.loadMe();
    if (!me.admin) { $('forbidden').classList.remove('hidden'); return; }
    $('admin').classList.remove('hidden');
    await loadOverview();
    document.body.dataset.ready = 'true';
  })().catch((e) => {
    const f = $('forbidden');
    f.textContent = 'Cannot load the dashboard: ' + e.message;
    f.classList.remove('hidden');
  });
})();
