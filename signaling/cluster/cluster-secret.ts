/**
 * The shared secret every node-to-node request carries (`X-Cluster-Secret`).
 * Requests without it are 401, with a wrong one 403; compared in constant time.
 * It proves the caller is a node of this cluster; it is not encryption, so the
 * cluster API and pipes belong on a private network (see README.md).
 */
import { ForbiddenError, UnauthorizedError } from '../errors.ts';
import type { HttpContext } from '../http/HttpContext.ts';
import { secretsMatch } from '../streams/stream-secrets.ts';

export const CLUSTER_SECRET_HEADER = 'x-cluster-secret';

/** Shortest secret accepted at boot. */
export const MIN_CLUSTER_SECRET_LENGTH = 16;

export function checkClusterSecret(presented: string | undefined, secret: string): void {
  if (presented === undefined || presented === '') {
    throw new UnauthorizedError(`node-to-node API: send the cluster secret in ${CLUSTER_SECRET_HEADER}`);
  }
  if (!secretsMatch(presented, secret)) throw new ForbiddenError('node-to-node API: wrong cluster secret');
}

export function requireClusterSecret(ctx: HttpContext, secret: string): void {
  checkClusterSecret(ctx.header(CLUSTER_SECRET_HEADER), secret);
}
