// The alert panel: pending and firing alerts from /api/v1/alerts, refreshed
// every few seconds, and recently resolved ones. Every string from a bot or
// a rule reaches the DOM through textContent or setAttribute (the CSP backs
// this up). Browser notifications are opt-in, from a button.

const EVERY_MS = 3000;

function since(iso) {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 90) return `${s} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}

function item(el, alert) {
  const li = el('li', null, { 'data-severity': alert.severity, 'data-state': alert.state, 'data-fingerprint': alert.fingerprint });
  li.append(
    el('b', alert.alertname),
    el('span', ` ${alert.severity} · ${alert.state}`, { class: 'alert-state' }),
    el('span', alert.channel ? ` · ${alert.channel}` : '', { class: 'alert-channel' }),
    el('span', ` · ${alert.state === 'resolved' && alert.ends_at ? `resolved ${since(alert.ends_at)} ago` : `for ${since(alert.starts_at)}`}`),
  );
  if (alert.silenced_by !== null && alert.silenced_by !== undefined) li.append(el('span', ` · silenced (#${alert.silenced_by})`, { class: 'alert-silenced' }));
  li.append(el('div', alert.summary, { class: 'alert-summary' }));
  return li;
}

/** Starts the panel; `api(path)` fetches JSON with the token, `el(tag, text, attrs)` makes a text-only node. */
export function startAlertPanel(api, el) {
  const list = document.getElementById('rule-alert-list');
  const resolved = document.getElementById('rule-alert-resolved');
  const none = document.getElementById('rule-alerts-none');
  const notifyButton = document.getElementById('rule-alerts-notify');
  const notified = new Set();
  let wantNotifications = false;

  if (notifyButton) {
    notifyButton.hidden = !('Notification' in window);
    notifyButton.addEventListener('click', async () => {
      wantNotifications = (await Notification.requestPermission()) === 'granted';
      notifyButton.setAttribute('aria-pressed', String(wantNotifications));
    });
  }

  async function refresh() {
    const body = await api('/api/v1/alerts?history=10');
    list.replaceChildren(...body.active.map((alert) => item(el, alert)));
    resolved.replaceChildren(...body.history.map((alert) => item(el, alert)));
    none.hidden = body.active.length > 0;
    for (const alert of body.active) {
      if (alert.state !== 'firing' || notified.has(alert.fingerprint)) continue;
      notified.add(alert.fingerprint);
      if (wantNotifications) new Notification(`${alert.alertname} (${alert.severity})`, { body: alert.summary, tag: alert.fingerprint });
    }
  }

  const loop = () => refresh().catch(() => {}).finally(() => setTimeout(loop, EVERY_MS));
  loop();
}
