/**
 * The node-to-node API under /cluster/v1 (every route needs the cluster
 * secret: 401 without, 403 wrong) and the public cluster overview the
 * dashboard reads (`GET /api/cluster`, no addresses in it).
 *
 *   GET    /cluster/v1/link                      NDJSON event stream for the calling entry node
 *   POST   /cluster/v1/pipes                     open a pipe for a stream → {pipeId, tuple, description}
 *   DELETE /cluster/v1/pipes/:id
 *   POST   /cluster/v1/viewers                   place a viewer here → {answerSdp}
 *   DELETE /cluster/v1/sessions/:id
 *   POST   /cluster/v1/sessions/:id/layer        {layer}
 *   POST   /cluster/v1/sessions/:id/candidates   {candidate}
 */
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { z } from 'zod';
import { BadRequestError, toAppError } from '../errors.ts';
import type { HttpContext } from '../http/HttpContext.ts';
import { route } from '../http/route.ts';
import { LayerPreference, StreamId } from '../protocol/messages.ts';
import { MAX_SDP_BYTES } from '../streams/sdp-offer.ts';
import { CLUSTER_NODE_HEADER } from './ClusterClient.ts';
import { checkClusterSecret, CLUSTER_SECRET_HEADER, requireClusterSecret } from './cluster-secret.ts';
import type { ClusterView } from './ClusterView.ts';
import type { LinkHub } from './LinkHub.ts';
import { PipeOpenRequest } from './pipe-api.ts';
import type { PipeHub } from './PipeHub.ts';
import type { ServedViewers } from './ServedViewers.ts';

export interface ClusterRoutesDeps {
  readonly secret: string;
  readonly links: LinkHub;
  readonly pipes: PipeHub;
  readonly served: ServedViewers;
  readonly view: ClusterView;
  readonly selfId: string;
}

const JSON_HEADERS = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' };
const NodeId = z.string().min(1).max(64);

const ServeBody = z.object({
  sessionId: z.string().min(16).max(64),
  streamId: StreamId,
  sdp: z.string().min(10).max(MAX_SDP_BYTES),
  layer: LayerPreference.default('auto'),
});
const LayerBody = z.object({ layer: LayerPreference });
const CandidateBody = z.object({
  candidate: z.object({
    candidate: z.string().max(1024),
    sdpMid: z.string().max(64).nullable().optional(),
    sdpMLineIndex: z.number().int().min(0).max(64).nullable().optional(),
    usernameFragment: z.string().max(256).nullable().optional(),
  }),
});

export function registerClusterRoutes(app: TemplatedApp, deps: ClusterRoutesDeps): void {
  const { secret, links, pipes, served } = deps;
  const internal = (params: number, bodyLimit = 16 * 1024) => ({ params, bodyLimit });

  app.get('/cluster/v1/link', (res: HttpResponse, req: HttpRequest) => {
    const node = req.getHeader(CLUSTER_NODE_HEADER);
    try {
      checkClusterSecret(req.getHeader(CLUSTER_SECRET_HEADER), secret);
      if (!NodeId.safeParse(node).success) throw new BadRequestError(`send this node's id in ${CLUSTER_NODE_HEADER}`);
    } catch (err) {
      const e = toAppError(err);
      res.cork(() => res.writeStatus(`${e.status} Refused`).writeHeader('Content-Type', 'application/json').end(JSON.stringify({ error: e.code, message: e.message })));
      return;
    }
    links.attach(node, res);
  });

  app.post(
    '/cluster/v1/pipes',
    route(async (ctx) => {
      requireClusterSecret(ctx, secret);
      const request = await parseJson(ctx, PipeOpenRequest);
      ctx.respond(201, JSON_HEADERS, JSON.stringify(await pipes.open(request)));
    }, internal(0)),
  );

  app.del(
    '/cluster/v1/pipes/:id',
    route((ctx) => {
      requireClusterSecret(ctx, secret);
      pipes.close(ctx.params[0]!);
      ctx.respond(204);
    }, internal(1)),
  );

  app.post(
    '/cluster/v1/viewers',
    route(async (ctx) => {
      requireClusterSecret(ctx, secret);
      const entry = NodeId.safeParse(ctx.header(CLUSTER_NODE_HEADER));
      if (!entry.success) throw new BadRequestError(`send the calling node's id in ${CLUSTER_NODE_HEADER}`);
      const body = await parseJson(ctx, ServeBody);
      const { answerSdp } = await served.serve({ ...body, entry: entry.data });
      if (ctx.aborted) {
        served.stop(body.sessionId, 'entry node went away before the answer');
        return;
      }
      ctx.respond(201, JSON_HEADERS, JSON.stringify({ answerSdp }));
    }, internal(0, MAX_SDP_BYTES + 4096)),
  );

  app.del(
    '/cluster/v1/sessions/:id',
    route((ctx) => {
      requireClusterSecret(ctx, secret);
      served.stop(ctx.params[0]!, 'stopped by the entry node');
      ctx.respond(204);
    }, internal(1)),
  );

  app.post(
    '/cluster/v1/sessions/:id/layer',
    route(async (ctx) => {
      requireClusterSecret(ctx, secret);
      served.setLayer(ctx.params[0]!, (await parseJson(ctx, LayerBody)).layer);
      ctx.respond(204);
    }, internal(1)),
  );

  app.post(
    '/cluster/v1/sessions/:id/candidates',
    route(async (ctx) => {
      requireClusterSecret(ctx, secret);
      const { candidate } = await parseJson(ctx, CandidateBody);
      await served.addCandidate(ctx.params[0]!, candidate);
      ctx.respond(204);
    }, internal(1)),
  );

  app.get(
    '/api/cluster',
    route((ctx) => {
      const nodes = deps.view.nodes().map((n) => ({
        id: n.id,
        role: n.role,
        parent: n.parent,
        capacity: n.capacity,
        load: n.load,
        streams: n.streams,
        delay: n.delay,
        startedAt: n.startedAt,
        heartbeatAt: n.heartbeatAt,
      }));
      ctx.respond(200, JSON_HEADERS, JSON.stringify({ self: deps.selfId, healthy: deps.view.healthy, at: Date.now(), nodes }));
    }),
  );
}

async function parseJson<T>(ctx: HttpContext, schema: z.ZodType<T, z.ZodTypeDef, unknown>): Promise<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(await ctx.text());
  } catch {
    throw new BadRequestError('body is not valid JSON');
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BadRequestError(`${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}
