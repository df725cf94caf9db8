/**
 * Calls the cluster API of another node: JSON over HTTP with the cluster
 * secret, bounded by a timeout. An error answer is rethrown as the same
 * AppError status and code, so a 409 not_live on the edge reaches the viewer
 * as a 409, not a 500; an unreachable node is a 503.
 */
import { AppError, ServiceUnavailableError } from '../errors.ts';
import { CLUSTER_SECRET_HEADER } from './cluster-secret.ts';

export interface ClusterClientOptions {
  readonly secret: string;
  /** This node's id, sent so the callee knows whose link gets the session's events. */
  readonly nodeId: string;
  readonly timeoutMs?: number;
}

export const CLUSTER_NODE_HEADER = 'x-cluster-node';

export class ClusterClient {
  readonly #secret: string;
  readonly #nodeId: string;
  readonly #timeoutMs: number;

  constructor(options: ClusterClientOptions) {
    this.#secret = options.secret;
    this.#nodeId = options.nodeId;
    this.#timeoutMs = options.timeoutMs ?? 8000;
  }

  get headers(): Record<string, string> {
    return { [CLUSTER_SECRET_HEADER]: this.#secret, [CLUSTER_NODE_HEADER]: this.#nodeId };
  }

  async call<T>(baseUrl: string, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(new URL(path, baseUrl), {
        method,
        headers: { ...this.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (err) {
      throw new ServiceUnavailableError(`node ${baseUrl} did not answer ${method} ${path}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const text = await res.text();
    if (!res.ok) {
      let code = 'upstream_error';
      let message = text || res.statusText;
      try {
        const parsed = JSON.parse(text) as { error?: string; message?: string };
        code = parsed.error ?? code;
        message = parsed.message ?? message;
      } catch {
        // a text body: keep it
      }
      throw new AppError(res.status, code, message);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }
}
