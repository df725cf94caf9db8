/**
 * Builds the web client: bundles src/pages/*.ts into dist/assets/*.js
 * (ES2020, minified, source maps, shared chunks) and copies public/*.html to
 * dist/ and public/*.css to dist/assets/ (the server serves pages from dist/
 * and everything else under /assets/). Run with `npm run build:web`.
 */
import { build } from 'esbuild';
import { copyFile, mkdir, readdir, rm } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));
const dist = join(root, 'dist');
const assets = join(dist, 'assets');
const publicDir = join(root, 'public');

export const ENTRY_POINTS = { home: 'src/pages/home.ts', live: 'src/pages/live.ts', watch: 'src/pages/watch.ts', vod: 'src/pages/vod.ts', dashboard: 'src/pages/dashboard.ts' } as const;

export async function buildWebClient(options: { quiet?: boolean } = {}): Promise<void> {
  const started = performance.now();
  // No wipe first: a server may be serving dist/ while tests rebuild it. Stale chunks are pruned after.
  await mkdir(assets, { recursive: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: Object.entries(ENTRY_POINTS).map(([out, src]) => ({ out, in: src })),
    outdir: assets,
    bundle: true,
    splitting: true, // zod/msgpack/net code shared by live and watch lands in one cached chunk
    format: 'esm',
    target: 'es2020',
    minify: true,
    sourcemap: true,
    chunkNames: 'chunks/[name]-[hash]',
    legalComments: 'linked',
    metafile: true,
    logLevel: 'warning',
  });
  await pruneStaleChunks(new Set(Object.keys(result.metafile.outputs).map((f) => join(root, f))));
  for (const name of await readdir(publicDir)) {
    const ext = extname(name);
    if (ext === '.html') await copyFile(join(publicDir, name), join(dist, name));
    else if (ext === '.css') await copyFile(join(publicDir, name), join(assets, name));
  }
  if (!options.quiet) {
    const outputs = Object.entries(result.metafile.outputs).filter(([f]) => f.endsWith('.js'));
    for (const [file, meta] of outputs) console.log(`  ${file.replace(/^.*dist\//, 'dist/')}  ${(meta.bytes / 1024).toFixed(1)} KiB`);
    console.log(`web-client built in ${Math.round(performance.now() - started)} ms`);
  }
}

async function pruneStaleChunks(current: Set<string>): Promise<void> {
  const chunks = join(assets, 'chunks');
  for (const name of await readdir(chunks).catch(() => [] as string[])) {
    const file = join(chunks, name);
    if (!current.has(file)) await rm(file, { force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  buildWebClient().catch((err: Error) => {
    console.error(`web-client build failed: ${err.message}`);
    process.exit(1);
  });
}
