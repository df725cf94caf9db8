import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startTestPlatform } from '../testing/start-test-platform.ts';
import { ensureSelfSignedCertificate } from './tls-certificate.ts';

interface Ctx {
  dir: string;
}
const ctx = {} as Ctx;

function httpsGet(url: string, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { ca }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe('self-signed certificate for HTTPS=1', () => {
  before(async () => {
    ctx.dir = await mkdtemp(join(tmpdir(), 'tls-'));
  });
  after(async () => {
    await rm(ctx.dir, { recursive: true, force: true });
  });

  test('is generated once with the requested addresses, then reused', async () => {
    const first = await ensureSelfSignedCertificate(ctx.dir, ['192.0.2.10']);
    assert.equal(first.created, true);
    const cert = new X509Certificate(await readFile(first.certFile));
    assert.match(cert.subjectAltName ?? '', /IP Address:192\.0\.2\.10/);
    assert.match(cert.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
    assert.match(cert.subjectAltName ?? '', /DNS:localhost/);

    const again = await ensureSelfSignedCertificate(ctx.dir, ['192.0.2.10']);
    assert.equal(again.created, false);
    assert.deepEqual(await readFile(again.certFile), await readFile(first.certFile));
  });

  test('is regenerated when a new address must be covered', async () => {
    const next = await ensureSelfSignedCertificate(ctx.dir, ['192.0.2.10', '198.51.100.7']);
    assert.equal(next.created, true);
    const cert = new X509Certificate(await readFile(next.certFile));
    assert.match(cert.subjectAltName ?? '', /198\.51\.100\.7/);
  });

  test('the platform serves HTTPS with it when HTTPS=1', async () => {
    const dir = join(ctx.dir, 'platform');
    const platform = await startTestPlatform({ HTTPS: '1', TLS_DIR: dir });
    try {
      assert.match(platform.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const ca = await readFile(join(dir, 'cert.pem'));
      const res = await httpsGet(`${platform.url}/healthz`, ca);
      assert.equal(res.status, 200);
      assert.match(res.body, /"status":"ok"/);
    } finally {
      await platform.close();
    }
  });
});
