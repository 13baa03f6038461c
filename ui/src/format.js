// format.js - small text helpers shared by the page and the badge.

// An ISO time or epoch seconds as "YYYY-MM-DD HH:MM" in the browser's zone.
export function when(t) {
  if (t === null || t === undefined || t === "") return "never";
  const d = typeof t === "number" ? new Date(t * 1000) : new Date(t);
  if (isNaN(d.getTime())) return String(t);
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

// Seconds as "45s", "3m 5s", "2h 4m", "1d 3h".
export function duration(s) {
  if (s === null || s === undefined || !(s >= 0)) return "n/a";
  s = Math.round(s);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

// Hour labels for chart axes.
export function hour(t, withDay) {
  const d = new Date(t * 1000);
  const p = (n) => String(n).padStart(2, "0");
  const hm = `${p(d.getHours())}:${p(d.getMinutes())}`;
  return withDay ? `${p(d.getMonth() + 1)}-${p(d.getDate())}` : hm;
}
