import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Platform } from '../platform.ts';
import { startTestPlatform } from '../testing/start-test-platform.ts';

interface Ctx {
  dir: string;
  platform: Platform;
}
const ctx = {} as Ctx;

describe('static pages and assets', () => {
  before(async () => {
    ctx.dir = await mkdtemp(join(tmpdir(), 'web-root-'));
    await mkdir(join(ctx.dir, 'assets'));
    await writeFile(join(ctx.dir, 'index.html'), '<title>home</title>');
    await writeFile(join(ctx.dir, 'live.html'), '<title>live</title>');
    await writeFile(join(ctx.dir, 'watch.html'), '<title>watch</title>');
    await writeFile(join(ctx.dir, 'assets', 'app.js'), 'console.log(1)');
    await writeFile(join(ctx.dir, 'assets', 'app.css'), 'body{}');
    await writeFile(join(ctx.dir, 'secret.txt'), 'outside assets');
    ctx.platform = await startTestPlatform({}, { webRoot: ctx.dir });
  });
  after(async () => {
    await ctx.platform.close();
    await rm(ctx.dir, { recursive: true, force: true });
  });

  for (const [path, title] of [
    ['/', 'home'],
    ['/live', 'live'],
    ['/watch/abcDEF123', 'watch'],
  ] as const) {
    test(`${path} serves ${title}.html as text/html`, async () => {
      const res = await fetch(`${ctx.platform.url}${path}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(await res.text(), `<title>${title}</title>`);
    });
  }

  test('assets are served with their MIME types', async () => {
    const js = await fetch(`${ctx.platform.url}/assets/app.js`);
    assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(await js.text(), 'console.log(1)');
    const css = await fetch(`${ctx.platform.url}/assets/app.css`);
    assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
    await css.text();
  });

  test('an unchanged asset revalidates with 304', async () => {
    const first = await fetch(`${ctx.platform.url}/assets/app.js`);
    const etag = first.headers.get('etag');
    await first.text();
    assert.ok(etag);
    const second = await fetch(`${ctx.platform.url}/assets/app.js`, { headers: { 'If-None-Match': etag } });
    assert.equal(second.status, 304);
  });

  test('paths escaping the assets folder answer 404', async () => {
    for (const path of ['/assets/%2e%2e/secret.txt', '/assets/..%2fsecret.txt', '/assets/missing.js']) {
      const res = await fetch(`${ctx.platform.url}${path}`);
      assert.equal(res.status, 404, path);
      assert.ok(!(await res.text()).includes('outside assets'));
    }
  });

  test('without a web client build, pages answer 503 saying how to build it', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'web-root-empty-'));
    const other = await startTestPlatform({}, { webRoot: empty });
    try {
      const res = await fetch(`${other.url}/live`);
      assert.equal(res.status, 503);
      assert.match(await res.text(), /npm run build:web/);
    } finally {
      await other.close();
      await rm(empty, { recursive: true, force: true });
    }
  });
});
