'use strict';
(async () => {
  if (!Tandem.requireLogin()) return;
  const { el } = Tandem;
  const me = await Tandem.loadMe();
  document.getElementById('progress').textContent = me.today + ' done today';
  const list = document.getElementById('datasets');
  const { data } = await Tandem.api('/api/datasets');
  if (data.datasets.length === 0) {
    list.append(el('div', { cls: 'card empty' }, el('div', { cls: 'big', text: '🗂' }),
      el('p', { text: 'No datasets yet.' + (me.admin ? ' Create one on the admin dashboard.' : ' Ask your admin to add one.') })));
  }
  for (const d of data.datasets) {
    const c = d.counts || { tasks: 0, done: 0, open: 0, inProgress: 0 };
    const meter = el('div', { cls: 'meter' }, el('span'));
    meter.firstChild.style.width = (c.tasks ? (100 * c.done / c.tasks) : 0).toFixed(1) + '%';
    list.append(el('div', { cls: 'card dataset' },
      el('h2', { text: d.name }),
      el('div', { cls: 'muted small', text: d.description || '' }),
      meter,
      el('div', { cls: 'small muted', text: c.done + ' of ' + c.tasks + ' tasks done · ' + c.open + ' open · ' + c.inProgress + ' in progress' }),
      el('p', {}, el('a', { cls: 'button', text: 'Start labelling →', attrs: { href: '/annotate.html?dataset=' + encodeURIComponent(d.id), id: 'start-' + d.id } }))));
  }
})();
