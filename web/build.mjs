// Bundles the browser code with esbuild into cmir/api/web/dist/ (package data served under
// /web/dist/, never committed). One entry per page; `make setup` runs it, so `make up` and
// `make test` always serve what the sources say. Type-checking is `npm run typecheck` (tsc), in
// `make lint`: esbuild strips types without checking them.
import { build } from "esbuild";
import { mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const outdir = join(root, "cmir", "api", "web", "dist");

/** Each bundle: its entry module and the file it becomes under dist/. */
const ENTRIES = {
  members: "web/members/main.ts",
  "page-charts": "web/page/charts.ts",
};

await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, path]) => [name, join(root, path)])),
  outdir,
  bundle: true,
  format: "esm",
  splitting: true, // shared code (viem) and lazily imported parts become their own chunks
  chunkNames: "chunks/[name]-[hash]",
  minify: true,
  sourcemap: true,
  target: ["es2020", "chrome100", "firefox100", "safari15"],
  legalComments: "linked",
  metafile: true,
  logLevel: "warning",
});
const bytes = Object.values(result.metafile.outputs).reduce((sum, out) => sum + out.bytes, 0);
console.log(`web: ${Object.keys(ENTRIES).length} bundle(s) in cmir/api/web/dist (${(bytes / 1024).toFixed(0)} KiB with maps)`);
