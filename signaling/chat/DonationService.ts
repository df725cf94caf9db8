/**
 * Donations and subs, exactly once: validate the amount and currency, answer a retried
 * idempotency key from the ledger, capture through the PaymentProvider, commit the ledger row
 * (fsync'd) and only then acknowledge and show it in chat. Same path for HTTP and the socket.
 *
 * Failure cases: a crash before the commit leaves no row and the client's retry (same key)
 * captures again, which the provider answers idempotently; a crash after the commit leaves the
 * row, the retry is answered from it, and a missing chat announcement is made when the room
 * next loads (ChatService).
 * In a cluster the acknowledgement also waits until the chat announcement is in the cluster's
 * order (RedisChatBus), so a node dying right after the ack cannot take the announcement with it;
 * the bus refuses a second announcement of the same idempotency key, from any node.
 */
import { createHash } from 'node:crypto';
import { BadRequestError, InvalidStateError, UnsupportedError } from '../errors.ts';
import { createLogger } from '../logger.ts';
import { cleanChatText, type Currency, type LedgerEntry } from '../protocol/messages.ts';
import type { StreamRegistry } from '../streams/StreamRegistry.ts';
import { Ledger, toLedgerEntry, type LedgerKind, type LedgerRecord } from './Ledger.ts';
import { toMinorUnits } from './money.ts';
import type { PaymentProvider } from './PaymentProvider.ts';

const logger = createLogger('signaling:DonationService');

export interface SupportRequest {
  readonly kind: LedgerKind;
  readonly streamId: string;
  readonly idempotencyKey: string;
  readonly amount: number | string;
  readonly currency: Currency;
  /** Who pays, as shown in chat: a chat identity, or 'anonymous' with a chosen name. */
  readonly userId: string;
  readonly name: string;
  readonly message?: string | undefined;
  readonly tier?: 1 | 2 | 3 | undefined;
  readonly months?: number | undefined;
  readonly paymentToken?: string | undefined;
  readonly streamTime?: number | undefined;
}

export interface SupportResult {
  readonly entry: LedgerEntry;
  /** True when the key was already recorded and this is the stored answer. */
  readonly replayed: boolean;
}

export interface DonationServiceDeps {
  readonly ledger: Ledger;
  readonly payments: PaymentProvider;
  readonly streams: StreamRegistry;
  /**
   * Called once per new ledger row, after the commit; the request is answered once it settles.
   * A rejection is logged, not passed on: the payment is recorded, and the announcement is retried.
   */
  readonly onRecorded: (record: LedgerRecord) => void | Promise<void>;
}

export class DonationService {
  readonly #deps: DonationServiceDeps;
  /** Requests being processed, by stream + key: a concurrent duplicate waits for the first. */
  readonly #inFlight = new Map<string, Promise<SupportResult>>();

  constructor(deps: DonationServiceDeps) {
    this.#deps = deps;
  }

  get providerName(): string {
    return this.#deps.payments.name;
  }

  async record(request: SupportRequest): Promise<SupportResult> {
    const amount = toMinorUnits(request.amount, request.currency);
    if (!amount.ok) throw new BadRequestError(amount.reason, 'invalid_amount');
    if (request.message !== undefined) {
      const message = cleanChatText(request.message);
      if (!message.ok) throw new BadRequestError(`message: ${message.reason}`, 'invalid_body');
      request = { ...request, message: message.text };
    }
    const fingerprint = fingerprintOf(request, amount.minor);
    const flightKey = `${request.streamId}\n${request.idempotencyKey}`;
    const running = this.#inFlight.get(flightKey);
    if (running) {
      const first = await running;
      this.#checkSamePayload(this.#deps.ledger.find(request.streamId, request.idempotencyKey), fingerprint);
      return { entry: first.entry, replayed: true };
    }
    const recorded = this.#deps.ledger.find(request.streamId, request.idempotencyKey);
    if (recorded) {
      this.#checkSamePayload(recorded, fingerprint);
      return { entry: toLedgerEntry(recorded), replayed: true };
    }
    const work = this.#process(request, amount.minor, fingerprint);
    this.#inFlight.set(flightKey, work);
    try {
      return await work;
    } finally {
      this.#inFlight.delete(flightKey);
    }
  }

  list(streamId: string): LedgerEntry[] {
    return this.#deps.ledger.list(streamId).map(toLedgerEntry);
  }

  async #process(request: SupportRequest, amountMinor: number, fingerprint: string): Promise<SupportResult> {
    const stream = this.#deps.streams.require(request.streamId);
    if (stream.state === 'ended') throw new InvalidStateError(`stream "${request.streamId}" has ended; it takes no more ${request.kind}s`, 'stream_ended');
    const capture = await this.#deps.payments.capture({
      idempotencyKey: `${request.streamId}:${request.idempotencyKey}`,
      amountMinor,
      currency: request.currency,
      paymentToken: request.paymentToken,
      description: `${request.kind} to stream ${request.streamId}`,
    });
    const { record, created } = this.#deps.ledger.insertOnce({
      id: Ledger.newId(request.kind),
      streamId: request.streamId,
      idempotencyKey: request.idempotencyKey,
      kind: request.kind,
      amountMinor,
      currency: request.currency,
      userId: request.userId,
      name: request.name,
      message: request.message ?? null,
      tier: request.kind === 'sub' ? (request.tier ?? 1) : null,
      months: request.kind === 'sub' ? (request.months ?? 1) : null,
      fingerprint,
      provider: capture.provider,
      providerRef: capture.reference,
      streamTime: request.streamTime ?? Date.now(),
      createdAt: Date.now(),
    });
    if (created) {
      logger.info(`recorded [${record.id}] [stream:${record.streamId}] [${record.kind}] [${record.amountMinor} ${record.currency} minor]`);
      try {
        await this.#deps.onRecorded(record);
      } catch (err) {
        logger.warn(`[${record.id}] is recorded but not yet shown in chat (${err instanceof Error ? err.message : String(err)}); it will be`);
      }
    } else {
      this.#checkSamePayload(record, fingerprint); // another process won the race on the same key
    }
    return { entry: toLedgerEntry(record), replayed: !created };
  }

  #checkSamePayload(record: LedgerRecord | undefined, fingerprint: string): void {
    if (record && record.fingerprint !== fingerprint) {
      throw new UnsupportedError('this idempotency key was already used for a different payment; use a new key for a new payment', 'idempotency_key_reused');
    }
  }
}

/** What must match for a retry to count as the same payment (not who pays or how it is shown). */
function fingerprintOf(request: SupportRequest, amountMinor: number): string {
  const fields = [request.kind, amountMinor, request.currency, request.message ?? null, request.tier ?? null, request.months ?? null];
  return createHash('sha256').update(JSON.stringify(fields)).digest('base64url');
}
