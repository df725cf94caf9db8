/**
 * The upstream end of this node's pipes: answers `POST /cluster/v1/pipes`
 * from a downstream node by opening a pipe socket pinned to the caller's
 * tuple and a PipeSender on the stream's router. An edge asked for a stream
 * it does not carry pulls it first (RelayManager), which is how chains
 * (origin → edge → edge) form. Pipes end when the downstream node says BYE,
 * goes silent, or the stream's source closes.
 */
import { PipeSender } from '../../sfu/pipe/PipeSender.ts';
import { PipeTransport } from '../../sfu/pipe/PipeTransport.ts';
import type { Sfu } from '../../sfu/Sfu.ts';
import { BadRequestError, InvalidStateError, NotFoundError } from '../errors.ts';
import { createLogger } from '../logger.ts';
import { MAX_PIPE_HOPS, type PipeOpenAnswer, type PipeOpenRequest } from './pipe-api.ts';
import type { PipeSettings } from './pipe-settings.ts';
import type { RelayManager } from './RelayManager.ts';

const logger = createLogger('signaling:cluster:PipeHub');

export class PipeHub {
  readonly #sfu: Sfu;
  readonly #settings: PipeSettings;
  readonly #relays: RelayManager | undefined;
  readonly #selfId: string;
  readonly #senders = new Map<string, PipeSender>();
  #closed = false;

  constructor(options: { sfu: Sfu; settings: PipeSettings; relays: RelayManager | undefined; selfId: string }) {
    this.#sfu = options.sfu;
    this.#settings = options.settings;
    this.#relays = options.relays;
    this.#selfId = options.selfId;
  }

  get senders(): PipeSender[] {
    return [...this.#senders.values()];
  }

  /** Open pipes carrying this stream out of this node. */
  countFor(streamId: string): number {
    let n = 0;
    for (const s of this.#senders.values()) if (s.streamId === streamId) n++;
    return n;
  }

  async open(request: PipeOpenRequest): Promise<PipeOpenAnswer> {
    if (this.#closed) throw new InvalidStateError('this node is shutting down', 'shutting_down');
    if (request.via.includes(this.#selfId) || request.via.length >= MAX_PIPE_HOPS) {
      throw new BadRequestError(`pipe loop or chain too long (${[...request.via, this.#selfId].join(' → ')}): check CLUSTER_PARENT settings`, 'pipe_loop');
    }
    const router = await this.#routerFor(request);
    const transport = await PipeTransport.create({
      listenIp: this.#settings.listenIp,
      announcedIp: this.#settings.announcedIp,
      portRange: this.#settings.portRange,
      label: request.streamId,
    });
    let sender: PipeSender;
    try {
      // The caller speaks first (it learns our port from the answer), so we send only once we hear it.
      transport.connect(request.tuple, { waitForPeer: true });
      sender = new PipeSender(router, transport);
    } catch (err) {
      transport.close('pipe setup failed');
      throw err;
    }
    this.#senders.set(sender.id, sender);
    sender.once('close', (reason) => {
      this.#senders.delete(sender.id);
      logger.info(`pipe closed [stream:${sender.streamId}] [pipe:${sender.id}] [reason:${reason}] [packets:${sender.stats.packets}]`);
    });
    logger.info(`pipe opened [stream:${request.streamId}] [pipe:${sender.id}] [to:${request.via[request.via.length - 1] ?? '?'} ${request.tuple.ip}:${request.tuple.port}]`);
    return { pipeId: sender.id, tuple: transport.localTuple, description: sender.description };
  }

  close(pipeId: string): void {
    const sender = this.#senders.get(pipeId);
    if (!sender) throw new NotFoundError(`pipe "${pipeId}" does not exist (it may have closed already)`);
    sender.close('closed by the downstream node');
  }

  closeAll(reason: string): void {
    this.#closed = true;
    for (const sender of [...this.#senders.values()]) sender.close(reason);
  }

  async #routerFor(request: PipeOpenRequest) {
    const router = this.#sfu.getRouter(request.streamId);
    if (router && !router.closed && (router.publisher || router.pipe)) return router;
    if (this.#relays) return this.#relays.ensure(request.streamId, [...request.via, this.#selfId]);
    throw new InvalidStateError(`stream "${request.streamId}" is not live on this node`, 'not_live');
  }
}
