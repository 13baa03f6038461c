// build.mjs - build the Stash UI plugin (src/plugin.jsx, src/plugin.css)
// into OUT (default ../build/ui): stash2plex.js, one IIFE that takes
// React and the other libraries from window.PluginApi (none is bundled),
// and stash2plex.css. With --harness also builds the browser tests'
// harness (test/harness.jsx, which does bundle React 17 and friends, as
// Stash itself would provide them).
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const outIdx = args.indexOf("--out");
const out = resolve(outIdx >= 0 ? args[outIdx + 1] : join(here, "..", "build", "ui"));
mkdirSync(out, { recursive: true });

const common = {
  bundle: true,
  format: "iife",
  target: ["es2020"],
  jsx: "transform",
  jsxFactory: "React.createElement",
  jsxFragment: "React.Fragment",
  legalComments: "none",
  logLevel: "warning",
};

await build({
  ...common,
  entryPoints: [join(here, "src", "plugin.jsx")],
  outfile: join(out, "stash2plex.js"),
  minify: true,
  banner: { js: "/* Stash2Plex UI plugin (MIT). Built from ui/src by ui/build.mjs. */" },
});
copyFileSync(join(here, "src", "plugin.css"), join(out, "stash2plex.css"));

if (args.includes("--harness")) {
  await build({
    ...common,
    entryPoints: [join(here, "test", "harness.jsx")],
    outfile: join(out, "harness.js"),
    define: { "process.env.NODE_ENV": '"production"' },
  });
  copyFileSync(join(here, "node_modules", "bootstrap", "dist", "css", "bootstrap.min.css"), join(out, "bootstrap.min.css"));
}
console.log(`built ${out}/stash2plex.js and stash2plex.css`);
