'use strict';
// Checks a pasted token against /api/me, keeps it in localStorage and goes back to where the user came from.
document.getElementById('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const box = document.getElementById('login-error');
  const t = document.getElementById('token').value.trim();
  box.classList.add('hidden');
  try {
    await Tandem.api('/api/me', { token: t });
    Tandem.setToken(t);
    const next = new URLSearchParams(location.search).get('next');
    location.href = next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
  } catch (e) {
    box.textContent = e.status === 401 ? 'That token is not valid (or was revoked).' : 'Cannot sign in: ' + e.message;
    box.classList.remove('hidden');
  }
});
document.getElementById('token').focus();
