// page.jsx - the status page at /plugin/stash2plex: breaker, queue and
// dead letters at a glance, charts of the last 24 hours and 7 days with
// Plex outages shaded, the outage list, the dead letters with Retry and
// Drop, and buttons that start the plugin's tasks. Everything comes from
// the binary's "status" operation; when that fails the page says why.
import { runOperation, runTask } from "./api.js";
import { Chart } from "./chart.jsx";
import { when, duration } from "./format.js";

const React = window.PluginApi.React;
const { useState, useEffect, useCallback } = React;

const REFRESH_MS = 30000;

// The buttons: label and the manifest's task name.
const TASKS = [
  ["Process Queue", "Process Queue"],
  ["Health Check", "Health Check"],
  ["Sync Recent", "Sync Recent Scenes"],
  ["Reconcile", "Reconcile Library (Recent)"],
];

const C = {
  synced: "#3fb950",
  failed: "#f0883e",
  dead: "#f85149",
  queue: "#58a6ff",
  p50: "#a5d6ff",
  p95: "#d2a8ff",
};

const CHARTS = [
  { title: "Synced", lines: [{ key: "synced", label: "Synced", color: C.synced, kind: "bar", value: (p) => p.synced }] },
  {
    title: "Failures",
    lines: [
      { key: "failed", label: "Retried", color: C.failed, kind: "bar", value: (p) => p.failed },
      { key: "dead", label: "Dead", color: C.dead, kind: "bar", value: (p) => p.dead },
    ],
  },
  { title: "Queue depth", lines: [{ key: "queue", label: "Queued", color: C.queue, kind: "line", value: (p) => p.queue_depth }] },
  {
    title: "Plex latency",
    unit: " ms",
    lines: [
      { key: "p50", label: "p50", color: C.p50, kind: "line", value: (p) => p.p50_ms || 0 },
      { key: "p95", label: "p95", color: C.p95, kind: "line", value: (p) => p.p95_ms || 0 },
    ],
  },
];

function breakerClass(state) {
  if (state === "CLOSED") return "s2p-ok";
  if (state === "OPEN") return "s2p-bad";
  return "s2p-warn";
}

function Header({ doc }) {
  const b = { ...(doc.breaker || {}) };
  b.state = b.state ? String(b.state).toUpperCase() : "unknown"; // "closed" or "CLOSED"
  const q = doc.queue || {};
  const dl = doc.dead_letters || {};
  return (
    <div className="s2p-header">
      <div className={`s2p-stat ${breakerClass(b.state)}`} data-stat="breaker">
        <div className="s2p-stat-label">Plex circuit breaker</div>
        <div className="s2p-stat-value">{b.state}</div>
        <div className="s2p-stat-note">
          {b.state === "OPEN" && b.next_probe_at ? `next probe ${when(b.next_probe_at)}` :
            b.state === "CLOSED" ? "Plex reachable" : `${b.failures || 0} recent failure(s)`}
        </div>
      </div>
      <div className="s2p-stat" data-stat="queue">
        <div className="s2p-stat-label">Queue</div>
        <div className="s2p-stat-value">{q.pending ?? 0}</div>
        <div className="s2p-stat-note">{`${q.due ?? 0} due, ${q.running ?? 0} running, ${q.done ?? 0} done`}</div>
      </div>
      <div className={`s2p-stat ${dl.total > 0 ? "s2p-bad" : ""}`} data-stat="dead">
        <div className="s2p-stat-label">Dead letters</div>
        <div className="s2p-stat-value">{dl.total ?? 0}</div>
        <div className="s2p-stat-note">
          {Object.entries(dl.by_error || dl.by_class || {}).filter(([, n]) => n > 0)
            .map(([k, n]) => `${k} ${n}`).join(", ") || "none"}
        </div>
      </div>
      <div className="s2p-stat" data-stat="last">
        <div className="s2p-stat-label">Last sync</div>
        <div className="s2p-stat-value s2p-small">{when(doc.last_sync && doc.last_sync.at)}</div>
        <div className="s2p-stat-note">{`reconcile: ${when(doc.last_reconcile && doc.last_reconcile.at)}`}</div>
      </div>
    </div>
  );
}

function Charts({ doc, range, title }) {
  const s = doc.series && doc.series[range];
  return (
    <section className="s2p-section" data-charts={range}>
      <h5>{title}</h5>
      <div className="s2p-charts">
        {CHARTS.map((c) => (
          <Chart key={c.title} title={c.title} lines={c.lines} unit={c.unit} series={s}
            windows={doc.outage_windows} range={range} />
        ))}
      </div>
    </section>
  );
}

function Outages({ doc }) {
  const o = doc.outages || {};
  const recent = o.recent || [];
  return (
    <section className="s2p-section" data-outages>
      <h5>Plex outages</h5>
      <p className="s2p-muted">
        {`${o.count ?? 0} recorded` + (o.mttr_seconds != null ? `, mean time to recover ${duration(o.mttr_seconds)}` : "")}
      </p>
      {recent.length === 0 ? <p className="s2p-muted">No outage recorded.</p> : (
        <table className="table table-sm s2p-table">
          <thead><tr><th>Started</th><th>Ended</th><th>Duration</th><th>Jobs waiting</th></tr></thead>
          <tbody>
            {recent.map((r, i) => (
              <tr key={i} className={r.ongoing ? "s2p-bad" : ""} data-outage={r.ongoing ? "ongoing" : "ended"}>
                <td>{when(r.started_at)}</td>
                <td>{r.ongoing ? "ongoing" : when(r.ended_at)}</td>
                <td>{duration(r.duration_seconds)}</td>
                <td>{r.jobs_waited ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function DeadLetters({ doc, act, busy }) {
  const { Button } = window.PluginApi.libraries.Bootstrap;
  const { Link } = window.PluginApi.libraries.ReactRouterDOM;
  const items = (doc.dead_letters && doc.dead_letters.newest) || [];
  return (
    <section className="s2p-section" data-dead-letters>
      <h5>Dead letters</h5>
      {items.length === 0 ? <p className="s2p-muted">No dead letter: every job either synced or is still queued.</p> : (
        <table className="table table-sm s2p-table">
          <thead><tr><th>Scene</th><th>Failed</th><th>Why</th><th /></tr></thead>
          <tbody>
            {items.map((d) => (
              <tr key={d.id} data-dead-id={d.id}>
                <td><Link to={`/scenes/${d.scene_id}`}>{d.title ? d.title : `#${d.scene_id}`}</Link></td>
                <td>{when(d.last_failed_at)}</td>
                <td className="s2p-why" title={d.message}><b>{d.error}</b> {d.message}</td>
                <td className="s2p-actions">
                  <Button size="sm" variant="secondary" disabled={busy}
                    onClick={() => act({ mode: "dlq_retry", id: d.id }, `Dead letter ${d.id} queued again`)}>Retry</Button>
                  <Button size="sm" variant="danger" disabled={busy}
                    onClick={() => act({ mode: "dlq_drop", id: d.id }, `Dead letter ${d.id} dropped`)}>Drop</Button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Tasks({ start, busy }) {
  const { Button } = window.PluginApi.libraries.Bootstrap;
  return (
    <div className="s2p-tasks">
      {TASKS.map(([label, task]) => (
        <Button key={task} variant="primary" size="sm" disabled={busy} data-task={task}
          onClick={() => start(task)}>{label}</Button>
      ))}
    </div>
  );
}

export function StatusPage() {
  const [doc, setDoc] = useState(null);
  const [error, setError] = useState(null);
  const [note, setNote] = useState(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      setDoc(await runOperation({ mode: "status" }));
      setError(null);
    } catch (e) {
      setError(e.message);
    }
  }, []);

  useEffect(() => {
    load();
    const t = setInterval(load, REFRESH_MS);
    return () => clearInterval(t);
  }, [load]);

  const act = async (args, done) => {
    setBusy(true);
    try {
      await runOperation(args);
      setNote({ ok: true, text: done });
    } catch (e) {
      setNote({ ok: false, text: e.message });
    }
    await load();
    setBusy(false);
  };
  const start = async (task) => {
    setBusy(true);
    try {
      const id = await runTask(task);
      setNote({ ok: true, text: `Started "${task}" (Stash job ${id}): see Settings > Tasks and the log` });
    } catch (e) {
      setNote({ ok: false, text: `Could not start "${task}": ${e.message}` });
    }
    setBusy(false);
  };

  return (
    <div className="s2p-page container-fluid">
      <div className="s2p-title">
        <h3>Stash2Plex</h3>
        <Tasks start={start} busy={busy} />
      </div>
      {note && <div className={`s2p-note ${note.ok ? "s2p-ok" : "s2p-bad"}`} role="status">{note.text}</div>}
      {error && (
        <div className="s2p-error" role="alert">
          <b>Stash2Plex cannot be reached.</b> {error}
          <div className="s2p-muted">
            Check that the plugin is installed and enabled under Settings &gt; Plugins, then
            {" "}<a href="#" onClick={(e) => { e.preventDefault(); load(); }}>try again</a>.
            {doc ? " The figures below are from the last successful refresh." : ""}
          </div>
        </div>
      )}
      {!doc && !error && <div className="s2p-muted" data-loading>Loading the plugin's status…</div>}
      {doc && (
        <>
          <Header doc={doc} />
          <Charts doc={doc} range="day" title="Last 24 hours (per hour)" />
          <Charts doc={doc} range="week" title="Last 7 days (per 6 hours)" />
          <Outages doc={doc} />
          <DeadLetters doc={doc} act={act} busy={busy} />
          <p className="s2p-muted s2p-foot">{`Updated ${when(doc.generated_at)}; refreshes every ${REFRESH_MS / 1000} s.`}</p>
        </>
      )}
    </div>
  );
}
