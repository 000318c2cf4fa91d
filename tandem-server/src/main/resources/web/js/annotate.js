'use strict';
// The labelling page: one view per task kind (pairwise, ranking, rating, demonstration), driven by the keyboard.
// Responses are shown in the order the server's assignment says, as plain text (textContent + pre-wrap).
(() => {
  const { el, api } = Tandem;
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  const datasetId = params.get('dataset');

  const PAIR_KEYS = { '1': 'a', '2': 'b', 't': 'tie', 'b': 'both-bad' };
  const STRENGTH_KEYS = { 's': 'slightly', 'c': 'clearly', 'm': 'much' };
  const FLAG_KEYS = ['q', 'w', 'e', 'r', 'y', 'u', 'i', 'o', 'p'];
  const LIKERT = ['', 'very bad', 'bad', 'poor', 'okay', 'good', 'very good', 'excellent'];

  let view = null;        // the AssignedTask JSON
  let clientId = null;    // idempotency key of the current submission
  let shownAt = 0;        // when the task appeared (ms)
  let busy = false;
  let doneToday = 0;
  let answer = {};        // kind-specific state

  // ------------------------------------------------------------ loading

  async function start() {
    if (!Tandem.requireLogin()) return;
    if (!datasetId) { location.href = '/'; return; }
    const me = await Tandem.loadMe();
    doneToday = me.today;
    showProgress();
    try {
      const ds = (await api('/api/datasets/' + encodeURIComponent(datasetId))).data;
      $('dataset-name').textContent = ds.name;
      document.title = ds.name + ' · Tandem';
    } catch (e) {
      return fail('Cannot open this dataset: ' + e.message);
    }
    await loadNext();
  }

  async function loadNext() {
    const r = await api('/api/datasets/' + encodeURIComponent(datasetId) + '/next');
    if (r.status === 204) {
      view = null;
      setBusy(false);
      $('task').classList.add('hidden');
      $('empty').classList.remove('hidden');
      return;
    }
    render(r.data);
  }

  function fail(message) {
    const box = $('load-error');
    box.textContent = message;
    box.classList.remove('hidden');
  }

  function showProgress() { $('progress').textContent = doneToday + ' done today'; }

  // ------------------------------------------------------------ rendering

  function render(v) {
    view = v;
    answer = {};
    const key = 'tandem.client.' + v.assignment.id;
    clientId = sessionStorage.getItem(key) || Tandem.newId();   // a reload re-sends the same id
    sessionStorage.setItem(key, clientId);
    shownAt = performance.now();
    setBusy(false);
    $('task').dataset.assignment = String(v.assignment.id); // which task the keys act on (tests wait for a new one)
    $('empty').classList.add('hidden');
    $('task').classList.remove('hidden');
    $('task').dataset.kind = v.task.kind;
    $('prompt').textContent = v.prompt;
    $('comment').value = '';
    $('comment-area').classList.add('hidden');
    $('demo-area').classList.add('hidden');
    const box = $('responses');
    box.replaceChildren();
    box.className = 'responses ' + (v.task.kind === 'pairwise' ? 'two' : 'list');
    v.responses.forEach((r, i) => {
      const card = el('section', { cls: 'card response', attrs: { 'data-index': String(i), id: 'response-' + i } },
        el('div', { cls: 'head' },
          el('span', { cls: 'badge', text: r.label }),
          v.task.kind === 'pairwise' ? el('span', { cls: 'keyhint', text: String(i + 1) }) : null,
          el('span', { cls: 'rank hidden' })),
        el('p', { cls: 'text', text: r.text }));
      card.addEventListener('click', () => onPick(i));
      box.append(card);
    });
    ({ pairwise: setupPairwise, ranking: setupRanking, rating: setupRating, demonstration: setupDemonstration })[v.task.kind]();
    update();
    setStatus('');
  }

  function button(text, key, id, onClick, cls) {
    const b = el('button', { cls: cls || '', attrs: { type: 'button', id } }, text, ' ', key ? el('span', { cls: 'keyhint', text: key }) : null);
    b.addEventListener('click', onClick);
    return b;
  }

  function baseActions(...items) {
    const bar = $('actions');
    bar.replaceChildren(...items, el('span', { cls: 'sep' }),
      button('Skip', 'x', 'skip', skip),
      button('Submit', 'Enter', 'submit', submit, 'primary'),
      el('span', { cls: 'status', attrs: { id: 'status', role: 'status' } }));
  }

  function setupPairwise() {
    $('instructions').textContent = 'Which response is better? Judge helpfulness, honesty and harmlessness; ignore length unless it matters.';
    baseActions(
      button('A better', '1', 'pick-a', () => setChoice('a')),
      button('B better', '2', 'pick-b', () => setChoice('b')),
      button('Tie', 't', 'pick-tie', () => setChoice('tie')),
      button('Both bad', 'b', 'pick-both-bad', () => setChoice('both-bad')),
      el('span', { cls: 'sep' }),
      button('slightly', 's', 'strength-slightly', () => setStrength('slightly')),
      button('clearly', 'c', 'strength-clearly', () => setStrength('clearly')),
      button('much', 'm', 'strength-much', () => setStrength('much')));
  }

  function setupRanking() {
    answer.picks = []; // [{index, tie}] best first; tie = same rank as the previous pick
    answer.tieNext = false;
    $('instructions').textContent = 'Rank the responses: press their numbers from best to worst. '
      + 'Press = before a number to tie it with the previous one, Backspace to undo.';
    baseActions(button('Tie next with previous', '=', 'tie-next', () => { answer.tieNext = !answer.tieNext; update(); }),
      button('Undo', '⌫', 'undo', undoPick), button('Clear', 'Del', 'clear', () => { answer.picks = []; update(); }));
  }

  function setupRating() {
    answer.flags = new Set();
    $('instructions').textContent = 'Rate the response from 1 (very bad) to 7 (excellent) and flag any problems.';
    const scale = el('div', { cls: 'scale' });
    for (let s = 1; s <= 7; s++) scale.append(button(String(s), null, 'score-' + s, () => setScore(s)));
    scale.querySelectorAll('button').forEach((b, i) => b.setAttribute('title', LIKERT[i + 1]));
    const flags = el('div', { cls: 'flags' });
    view.ratingFlags.forEach((f, i) => flags.append(button(f.replace(/_/g, ' '), FLAG_KEYS[i], 'flag-' + f, () => toggleFlag(f))));
    baseActions(scale, el('span', { cls: 'sep' }), flags);
  }

  function setupDemonstration() {
    const editing = view.responses.length === 1;
    $('instructions').textContent = editing ? 'Edit the response below into the ideal answer to the prompt.'
      : 'Write the ideal response to the prompt.';
    $('responses').classList.toggle('hidden', false);
    if (editing) $('responses').replaceChildren();
    $('demo-area').classList.remove('hidden');
    $('demo-label').textContent = editing ? 'Edit into the ideal response' : 'Your ideal response';
    $('demo-text').value = editing ? view.responses[0].text : '';
    baseActions(el('span', { cls: 'muted small', text: 'Ctrl+Enter submits · Esc leaves the text box' }));
    setTimeout(() => $('demo-text').focus(), 0);
  }

  // ------------------------------------------------------------ answer state

  function setChoice(c) {
    answer.choice = c;
    if (c !== 'a' && c !== 'b') answer.strength = undefined;
    update();
  }

  function setStrength(s) {
    if (answer.choice !== 'a' && answer.choice !== 'b') return setStatus('Pick A or B first, then how much better.', true);
    answer.strength = answer.strength === s ? undefined : s;
    update();
  }

  function setScore(s) { answer.score = s; update(); }

  function toggleFlag(f) {
    if (answer.flags.has(f)) answer.flags.delete(f); else answer.flags.add(f);
    update();
  }

  function onPick(i) {
    if (!view) return;
    if (view.task.kind === 'pairwise') setChoice(i === 0 ? 'a' : 'b');
    else if (view.task.kind === 'ranking') pickRank(i);
  }

  function pickRank(i) {
    if (answer.picks.some((p) => p.index === i)) return setStatus('Response ' + (i + 1) + ' is ranked already (Backspace undoes).', true);
    answer.picks.push({ index: i, tie: answer.tieNext && answer.picks.length > 0 });
    answer.tieNext = false;
    const left = view.responses.map((_, k) => k).filter((k) => !answer.picks.some((p) => p.index === k));
    if (left.length === 1) answer.picks.push({ index: left[0], tie: false }); // the last one is implied
    update();
  }

  function undoPick() {
    answer.picks.pop();
    update();
  }

  /** Dense ranks per response (0 = best) from the picks; null while incomplete. */
  function ranks() {
    const out = new Array(view.responses.length).fill(null);
    let rank = -1;
    for (const p of answer.picks) {
      if (!p.tie) rank++;
      out[p.index] = rank;
    }
    return out;
  }

  function payload() {
    const comment = $('comment').value.trim() || undefined;
    switch (view.task.kind) {
      case 'pairwise':
        if (!answer.choice) return null;
        return { kind: 'pairwise', choice: answer.choice, strength: answer.strength, comment };
      case 'ranking': {
        const r = ranks();
        return r.includes(null) ? null : { kind: 'ranking', ranks: r, comment };
      }
      case 'rating':
        return answer.score ? { kind: 'rating', score: answer.score, flags: [...answer.flags], comment } : null;
      case 'demonstration': {
        const text = $('demo-text').value;
        return text.trim() ? { kind: 'demonstration', text, comment } : null;
      }
    }
    return null;
  }

  const ORD = ['1st', '2nd', '3rd', '4th', '5th', '6th', '7th', '8th', '9th'];

  function update() {
    if (!view) return;
    const cards = [...document.querySelectorAll('.response')];
    if (view.task.kind === 'pairwise') {
      cards.forEach((c, i) => {
        const side = i === 0 ? 'a' : 'b';
        c.classList.toggle('selected', answer.choice === side || answer.choice === 'tie');
        c.classList.toggle('bad', answer.choice === 'both-bad');
        c.classList.toggle('dimmed', (answer.choice === 'a' || answer.choice === 'b') && answer.choice !== side);
      });
      for (const c of ['a', 'b', 'tie', 'both-bad']) $('pick-' + c).classList.toggle('on', answer.choice === c);
      for (const s of ['slightly', 'clearly', 'much']) {
        $('strength-' + s).classList.toggle('on', answer.strength === s);
        $('strength-' + s).disabled = answer.choice !== 'a' && answer.choice !== 'b';
      }
    } else if (view.task.kind === 'ranking') {
      const r = ranks();
      cards.forEach((c, i) => {
        const badge = c.querySelector('.rank');
        const tied = r[i] !== null && r.filter((x) => x === r[i]).length > 1;
        badge.textContent = r[i] === null ? '' : ORD[r[i]] + (tied ? ' (tie)' : '');
        badge.classList.toggle('hidden', r[i] === null);
        c.classList.toggle('selected', r[i] !== null);
      });
      $('tie-next').classList.toggle('on', answer.tieNext);
    } else if (view.task.kind === 'rating') {
      for (let s = 1; s <= 7; s++) $('score-' + s).classList.toggle('on', answer.score === s);
      for (const f of view.ratingFlags) $('flag-' + f).classList.toggle('on', answer.flags.has(f));
      cards.forEach((c) => c.classList.toggle('selected', !!answer.score));
    }
    $('submit').disabled = busy || payload() === null;
  }

  /** While a submission or skip is in flight keys do nothing; aria-busy says so to assistive tech and to tests. */
  function setBusy(b) {
    busy = b;
    $('task').setAttribute('aria-busy', String(b));
  }

  function setStatus(text, isError) {
    const s = $('status');
    if (!s) return;
    s.textContent = text;
    s.classList.toggle('error', !!isError);
  }

  // ------------------------------------------------------------ submit and skip

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  async function submit() {
    if (!view || busy) return;
    const p = payload();
    if (!p) return setStatus(view.task.kind === 'ranking' ? 'Rank every response first.' : 'Choose an answer first.', true);
    setBusy(true);
    update();
    setStatus('Saving…');
    const assignment = view.assignment.id;
    const body = { clientId, payload: p, durationMillis: Math.round(performance.now() - shownAt) };
    for (let attempt = 0; ; attempt++) {
      try {
        await api('/api/assignments/' + assignment + '/judgement', { method: 'POST', body });
        sessionStorage.removeItem('tandem.client.' + assignment);
        doneToday++;
        showProgress();
        return await loadNext();
      } catch (e) {
        if (e instanceof Tandem.ApiError) {
          if (e.status === 429) { setStatus('Slow down a little…'); await sleep(1000); continue; }
          if (e.status === 409) { setStatus('This task was already answered; loading the next one.'); return loadNext(); }
          setBusy(false);
          update();
          return setStatus('Not saved: ' + e.message, true);
        }
        if (attempt >= 4) { setBusy(false); update(); return setStatus('Network problem: not saved yet. Press Enter to retry.', true); }
        setStatus('Network problem, retrying…', true);
        await sleep(400 * 2 ** attempt); // same clientId: a retry can never store twice
      }
    }
  }

  async function skip() {
    if (!view || busy) return;
    setBusy(true);
    try {
      await api('/api/assignments/' + view.assignment.id + '/release', { method: 'POST' });
      sessionStorage.removeItem('tandem.client.' + view.assignment.id);
      await loadNext();
    } catch (e) {
      setBusy(false);
      setStatus('Cannot skip: ' + e.message, true);
    }
  }

  // ------------------------------------------------------------ keyboard

  function helpRows() {
    const common = [['Enter', 'submit'], ['x', 'skip this task'], ['/', 'add a comment'], ['?', 'show or hide these keys']];
    const kind = view ? view.task.kind : 'pairwise';
    const rows = {
      pairwise: [['1', 'A is better'], ['2', 'B is better'], ['t', 'tie'], ['b', 'both are bad'],
        ['s  c  m', 'how much better: slightly, clearly, much (optional)']],
      ranking: [['1 … 9', 'pick responses from best to worst (the last is implied)'], ['=', 'tie the next pick with the previous one'],
        ['Backspace', 'undo the last pick'], ['Delete', 'clear the ranking']],
      rating: [['1 … 7', 'score from very bad to excellent'], [FLAG_KEYS.slice(0, (view && view.ratingFlags.length) || 5).join(' '), 'toggle a flag']],
      demonstration: [['Ctrl+Enter', 'submit (Enter adds a new line)'], ['Esc', 'leave the text box, then keys work']],
    }[kind];
    return rows.concat(common);
  }

  function toggleHelp(show) {
    const overlay = $('help');
    const visible = show === undefined ? overlay.classList.contains('hidden') : show;
    if (visible) {
      $('help-keys').replaceChildren(...helpRows().flatMap(([k, what]) => [el('span', { cls: 'keyhint', text: k }), el('span', { text: what })]));
    }
    overlay.classList.toggle('hidden', !visible);
  }

  document.addEventListener('keydown', (ev) => {
    const typing = ev.target instanceof HTMLTextAreaElement || ev.target instanceof HTMLInputElement;
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); submit(); return; }
    if (ev.key === 'Escape') {
      if (!$('help').classList.contains('hidden')) toggleHelp(false);
      else if (typing) ev.target.blur();
      return;
    }
    if (typing || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.key === '?') { toggleHelp(); ev.preventDefault(); return; }
    if (!view || !$('help').classList.contains('hidden')) return;
    const k = ev.key.length === 1 ? ev.key.toLowerCase() : ev.key;
    let handled = true;
    if (k === 'Enter') submit();
    else if (k === 'x') skip();
    else if (k === '/') { $('comment-area').classList.remove('hidden'); $('comment').focus(); }
    else if (view.task.kind === 'pairwise' && PAIR_KEYS[k]) setChoice(PAIR_KEYS[k]);
    else if (view.task.kind === 'pairwise' && STRENGTH_KEYS[k]) setStrength(STRENGTH_KEYS[k]);
    else if (view.task.kind === 'ranking' && /^[1-9]$/.test(k) && Number(k) <= view.responses.length) pickRank(Number(k) - 1);
    else if (view.task.kind === 'ranking' && k === '=') { answer.tieNext = !answer.tieNext; update(); }
    else if (view.task.kind === 'ranking' && k === 'Backspace') undoPick();
    else if (view.task.kind === 'ranking' && k === 'Delete') { answer.picks = []; update(); }
    else if (view.task.kind === 'rating' && /^[1-7]$/.test(k)) setScore(Number(k));
    else if (view.task.kind === 'rating' && FLAG_KEYS.indexOf(k) >= 0 && FLAG_KEYS.indexOf(k) < view.ratingFlags.length) toggleFlag(view.ratingFlags[FLAG_KEYS.indexOf(k)]);
    else handled = false;
    if (handled) ev.preventDefault();
  });
  $('demo-text').addEventListener('input', update);
  $('help-button').addEventListener('click', () => toggleHelp());
  $('help').addEventListener('click', (ev) => { if (ev.target === $('help')) toggleHelp(false); });

  start().catch((e) => fail('Cannot load: ' + e.message));
})();
