// badge.jsx - the scene page's Plex badge: the scene's state from the
// binary's scene_status operation ("in sync", "pending", "retrying",
// "failed", "not in Plex"), the details on hover, and Sync now (the
// sync_scene operation, which queues the scene and starts a worker).
import { runOperation } from "./api.js";
import { when } from "./format.js";

const React = window.PluginApi.React;
const { useState, useEffect, useCallback } = React;

const LOOK = {
  synced: ["in sync", "s2p-ok"],
  pending: ["pending", "s2p-info"],
  retrying: ["retrying", "s2p-warn"],
  failed: ["failed", "s2p-bad"],
  not_seen: ["not in Plex", "s2p-none"],
};

function hover(s) {
  switch (s.state) {
    case "synced":
      return `Synced ${when(s.synced_at)} to Plex item ${s.plex_rating_key}`;
    case "pending":
      return `Queued ${when(s.queued_at)} (${s.queued_by}); the worker will sync it` +
        (s.synced_at ? `. Last synced ${when(s.synced_at)}` : "");
    case "retrying":
      return `Attempt ${s.attempts} failed: ${s.error}: ${s.reason}. Next try ` +
        (s.due ? "as soon as the worker runs" : when(s.retry_at));
    case "failed":
      return `Dead letter since ${when(s.failed_at)}: ${s.error}: ${s.reason}`;
    default:
      return "Stash2Plex has never synced this scene";
  }
}

export function SceneBadge({ sceneId }) {
  const [s, setS] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      setS(await runOperation({ mode: "scene_status", scene_id: String(sceneId) }));
      setError(null);
    } catch (e) {
      setError(e.message);
    }
  }, [sceneId]);
  useEffect(() => { load(); }, [load]);

  const syncNow = async () => {
    setBusy(true);
    try {
      await runOperation({ mode: "sync_scene", scene_id: String(sceneId) });
    } catch (e) {
      setError(e.message);
    }
    await load();
    setBusy(false);
  };

  if (!sceneId) return null;
  let label, cls, title;
  if (error) {
    [label, cls, title] = ["unavailable", "s2p-none", `Stash2Plex cannot be reached: ${error}`];
  } else if (!s) {
    [label, cls, title] = ["…", "s2p-none", "Asking Stash2Plex"];
  } else {
    [label, cls] = LOOK[s.state] || [s.state, "s2p-none"];
    title = hover(s);
  }
  return (
    <span className="s2p-badge-wrap" data-s2p-scene={sceneId} data-state={s && !error ? s.state : error ? "error" : "loading"}>
      <span className={`s2p-badge ${cls}`} title={title}>{`Plex: ${label}`}</span>
      <button type="button" className="btn btn-link btn-sm s2p-sync-now" disabled={busy || (!s && !error)}
        onClick={syncNow} title="Queue this scene for a sync to Plex now">Sync now</button>
    </span>
  );
}
