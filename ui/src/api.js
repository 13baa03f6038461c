// api.js - the plugin's two ways to reach its binary through Stash's
// GraphQL endpoint: runPluginOperation (synchronous, answers the
// operation's JSON document) and runPluginTask (queues a task as a Stash
// job). The documents live in queries.json, which tests/schema validates
// against Stash's schema.
import queries from "./queries.json";

export const PLUGIN_ID = "Stash2Plex";

const doc = (name) => queries.find((q) => q.name === name).query;

// POST one GraphQL document to Stash (the page's own origin and base path,
// with its session cookie) and return data, or throw a readable Error.
async function graphql(name, variables) {
  let res;
  try {
    res = await fetch(new URL("graphql", document.baseURI).toString(), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ operationName: name, query: doc(name), variables }),
    });
  } catch (e) {
    throw new Error(`Stash did not answer (${e.message})`);
  }
  let body;
  try {
    body = await res.json();
  } catch (e) {
    throw new Error(`Stash answered HTTP ${res.status} without JSON`);
  }
  if (body.errors && body.errors.length) {
    throw new Error(body.errors.map((e) => e.message).join("; "));
  }
  if (!res.ok || !body.data) throw new Error(`Stash answered HTTP ${res.status}`);
  return body.data;
}

// Run an operation of the binary; its answer must be a JSON object.
export async function runOperation(args) {
  const data = await graphql("Stash2PlexOperation", { plugin_id: PLUGIN_ID, args });
  const out = data.runPluginOperation;
  if (out === null || typeof out !== "object" || Array.isArray(out)) {
    throw new Error(
      `the plugin answered ${out === null ? "nothing" : "something unexpected"}: ` +
        `is the Stash2Plex binary installed and up to date?`
    );
  }
  return out;
}

// Start one of the manifest's tasks as a Stash job; returns the job id.
export async function runTask(taskName) {
  const data = await graphql("Stash2PlexTask", {
    plugin_id: PLUGIN_ID,
    task_name: taskName,
    description: `Stash2Plex: ${taskName}`,
  });
  return data.runPluginTask;
}
