/**
 * A self-signed certificate for HTTPS=1, made once with the `openssl` CLI and
 * reused on later boots. Phones only grant camera access on secure origins, so
 * LAN testing needs HTTPS; the certificate names every address a phone may use,
 * and is regenerated only when a new address (e.g. another ANNOUNCED_IP) appears.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createLogger } from '../logger.ts';

const logger = createLogger('signaling:tls');
const run = promisify(execFile);

export interface TlsFiles {
  readonly keyFile: string;
  readonly certFile: string;
  /** True when this call generated the files (false when reused). */
  readonly created: boolean;
}

export async function ensureSelfSignedCertificate(dir: string, hosts: readonly string[]): Promise<TlsFiles> {
  const root = resolve(dir);
  const keyFile = join(root, 'key.pem');
  const certFile = join(root, 'cert.pem');
  const hostsFile = join(root, 'hosts.txt');
  const wanted = [...new Set(['localhost', '127.0.0.1', ...hosts])];

  if ((await exists(keyFile)) && (await exists(certFile))) {
    const covered = new Set((await readFile(hostsFile, 'utf8').catch(() => '')).split('\n').filter(Boolean));
    if (wanted.every((h) => covered.has(h))) return { keyFile, certFile, created: false };
    logger.info(`certificate in ${root} does not name ${wanted.filter((h) => !covered.has(h)).join(', ')}; generating a new one`);
  }

  await mkdir(root, { recursive: true, mode: 0o700 });
  const subjectAltName = wanted.map((h) => (isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
  try {
    await run('openssl', [
      'req', '-x509', '-nodes',
      '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
      '-keyout', keyFile, '-out', certFile,
      '-days', '825',
      '-subj', '/CN=livestream-platform (self-signed, development)',
      '-addext', `subjectAltName=${subjectAltName}`,
    ]);
  } catch (err) {
    const detail = (err as { stderr?: string }).stderr?.trim() || (err as Error).message;
    throw new Error(`HTTPS=1 needs the openssl CLI to make a self-signed certificate (apt-get install openssl): ${detail}`);
  }
  await writeFile(hostsFile, wanted.join('\n') + '\n');
  logger.info(`generated self-signed certificate in ${root} for ${wanted.join(', ')}`);
  return { keyFile, certFile, created: true };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
