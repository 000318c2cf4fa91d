'use strict';
// Live-loop dashboard (admins): the loop's status polled every 2 s, its history charted with Apache ECharts when it
// changes. Model outputs are untrusted: they only ever go into textContent (Tandem.el), and chart tooltips render in
// the canvas (richText), so no HTML is built from data.
(() => {
  const { el, api, pct, fixed, kpi, td } = Tandem;
  const $ = (id) => document.getElementById(id);
  const PALETTE = ['#5b67e8', '#22a06b', '#f59e0b', '#8b5cf6', '#ef4444', '#06b6d4', '#64748b'];
  const POLL_MS = 2000;
  let lastKey = null;
  let history = null;

  const chart = Tandem.charts({
    color: PALETTE,
    tooltip: { renderMode: 'richText', trigger: 'axis' },
    grid: { left: 48, right: 48, top: 56, bottom: 36, containLabel: true },
  });
  const title = Tandem.chartTitle;

  const time = (iso) => new Date(iso).getTime();
  // A time axis with a little room on both sides, so that the first and last points are not on the frame.
  const timeAxis = () => ({ type: 'time', axisLabel: { hideOverlap: true },
    min: (v) => v.min - Math.max(2000, (v.max - v.min) * 0.05), max: (v) => v.max + Math.max(2000, (v.max - v.min) * 0.05) });
  const clock = (iso) => new Date(iso).toLocaleTimeString();

  function showStatus(s) {
    const nextRetrain = s.judgementsAtLastRetrain + s.retrainEvery;
    $('kpis').replaceChildren(
      kpi(s.policyVersion, 'policy version (writes new tasks)', 'kpi-policy'),
      kpi(s.rewardModelVersion ? 'v' + s.rewardModelVersion : '–', 'reward-model version', 'kpi-rm'),
      kpi(String(s.judgements), 'judgements (next retrain at ' + nextRetrain + ')', 'kpi-judgements'),
      kpi(String(s.openTasks), 'open tasks', 'kpi-open'),
      kpi(s.rewardModelsSincePolicyRound + ' / ' + s.optimiseEvery, 'reward models toward the next ' + s.algorithm.toUpperCase() + ' round', 'kpi-round'));
    $('loop-summary').textContent = 'Dataset ' + s.dataset + ' · model ' + s.model + ' · ' + s.algorithm.toUpperCase()
      + ' · reward model every ' + s.retrainEvery + ' judgements, policy round every ' + s.optimiseEvery + ' reward model(s)';
    const pill = $('training-pill');
    pill.textContent = s.training ? 'training…' : 'idle';
    pill.classList.toggle('good', s.training);
    const err = $('last-error');
    err.textContent = s.lastError ? 'Last training error: ' + s.lastError : '';
    err.classList.toggle('hidden', !s.lastError);
    document.body.dataset.policyVersion = s.policyVersion;
    document.body.dataset.rewardModelVersion = String(s.rewardModelVersion);
  }

  function showHistory(h) {
    history = h;
    chart('chart-judgements', {
      title: title('Judgements over time'),
      xAxis: timeAxis(),
      yAxis: { type: 'value', minInterval: 1 },
      series: [{ name: 'judgements', type: 'line', step: 'end', showSymbol: false, data: h.judgements.map((p) => [time(p.at), p.judgements]) }],
    });
    chart('chart-accuracy', {
      title: title('Reward-model accuracy', 'held-out human judgements, per version'),
      legend: { top: 0, right: 0 },
      xAxis: { type: 'category', data: h.rewardModels.map((r) => 'v' + r.version) },
      yAxis: [{ type: 'value', min: 0, max: 1, name: 'accuracy' }, { type: 'value', name: 'pairs', minInterval: 1 }],
      series: [
        { name: 'held-out accuracy', type: 'line', data: h.rewardModels.map((r) => r.heldOutAccuracy) },
        { name: 'held-out pairs', type: 'bar', yAxisIndex: 1, barMaxWidth: 28, itemStyle: { opacity: 0.35 }, data: h.rewardModels.map((r) => r.heldOutPairs) },
      ],
    });
    chart('chart-rounds', {
      title: title('Policy rounds', 'reward-model score and KL to v0 at the end of each round'),
      legend: { top: 0, right: 0 },
      xAxis: { type: 'category', data: h.policyRounds.map((r) => 'policy v' + r.version) },
      yAxis: [{ type: 'value', name: 'reward', scale: true }, { type: 'value', name: 'KL (nats)', min: 0 }],
      series: [
        { name: 'reward', type: 'line', data: h.policyRounds.map((r) => r.reward) },
        { name: 'KL', type: 'line', yAxisIndex: 1, data: h.policyRounds.map((r) => r.kl) },
      ],
    });
    const kinds = ['policy', 'reward-model'];
    chart('chart-versions', {
      title: title('Model versions'),
      tooltip: { renderMode: 'richText', trigger: 'item' },
      grid: { left: 24, right: 36, top: 56, bottom: 36, containLabel: true },
      xAxis: timeAxis(),
      yAxis: { type: 'category', data: kinds, boundaryGap: true },
      series: kinds.map((k) => ({
        name: k, type: 'scatter', symbolSize: 14,
        label: { show: true, position: 'top', formatter: (p) => p.value[2] },
        data: h.versions.filter((v) => v.model === k).map((v) => [time(v.at), k, v.version]),
      })),
    });

    $('version-table').querySelector('tbody').replaceChildren(...h.versions.slice().reverse().map((v) =>
      el('tr', {}, td(clock(v.at)), td(v.model), td(v.version), td(v.note || ''))));

    const select = $('sample-version');
    const previous = select.value;
    const latest = h.samples.length ? String(h.samples[h.samples.length - 1].version) : '';
    select.replaceChildren(...h.samples.slice().reverse().map((s) => el('option', { text: 'v' + s.version, attrs: { value: String(s.version) } })));
    // Follow the newest version unless the admin picked an older one.
    select.value = previous && previous !== select.dataset.latest && h.samples.some((s) => String(s.version) === previous) ? previous : latest;
    select.dataset.latest = latest;
    showSamples();
  }

  function showSamples() {
    const v = $('sample-version').value;
    const set = history && history.samples.find((s) => String(s.version) === v);
    $('no-samples').classList.toggle('hidden', !!set);
    $('sample-table').classList.toggle('hidden', !set);
    $('sample-head').textContent = set ? 'v' + set.version + ' (tuned)' : 'vN';
    $('samples-title').textContent = set ? 'Version ' + set.version + ' beside version 0' : 'Version N beside version 0';
    $('sample-table').querySelector('tbody').replaceChildren(...(set ? set.pairs : []).map((p) =>
      el('tr', {}, el('td', { cls: 'text', text: p.prompt }), el('td', { cls: 'text', text: p.original }), el('td', { cls: 'text', text: p.tuned }))));
  }

  async function poll() {
    const s = (await api('/api/loop/status')).data;
    showStatus(s);
    const key = [s.policyVersion, s.rewardModelVersion, s.judgements].join('/');
    if (key !== lastKey) {
      showHistory((await api('/api/loop/history')).data);
      lastKey = key;
    }
    document.body.dataset.ready = 'true';
  }

  $('sample-version').addEventListener('change', showSamples);

  (async () => {
    if (!Tandem.requireLogin()) return;
    const me = await Tandem.loadMe();
    if (!me.admin) { $('forbidden').classList.remove('hidden'); return; }
    try {
      await api('/api/loop/status');
    } catch (e) {
      if (e.status === 404) { $('no-loop').classList.remove('hidden'); document.body.dataset.ready = 'true'; return; }
      throw e;
    }
    $('loop').classList.remove('hidden'); // before the charts are made, so that they get their size
    await poll();
    const again = async () => {
      try {
        await poll();
      } catch (e) {
        const err = $('last-error');
        err.textContent = 'Cannot reach the server: ' + e.message;
        err.classList.remove('hidden');
      }
      setTimeout(again, POLL_MS);
    };
    setTimeout(again, POLL_MS);
  })().catch((e) => {
    const f = $('forbidden');
    f.textContent = 'Cannot load the dashboard: ' + e.message;
    f.classList.remove('hidden');
  });
})();
