/**
 * Where money is actually captured, kept behind one interface so the ledger never depends on
 * a vendor. A provider must honour the idempotency key the way card processors do: the same key
 * returns the same capture, so a retry after a crash between capture and ledger commit does not
 * charge twice. The only implementation shipped is TestPaymentProvider (no money moves).
 */
import { AppError } from '../errors.ts';
import type { Currency } from '../protocol/messages.ts';

export interface PaymentRequest {
  /** Unique per payment attempt across retries (stream id + client key). */
  readonly idempotencyKey: string;
  readonly amountMinor: number;
  readonly currency: Currency;
  /** Opaque token from the client's payment form; providers define what it means. */
  readonly paymentToken: string | undefined;
  readonly description: string;
}

export interface PaymentCapture {
  /** Provider name, stored with the ledger row. */
  readonly provider: string;
  /** The provider's id for this capture (same for the same idempotency key). */
  readonly reference: string;
}

export interface PaymentProvider {
  readonly name: string;
  /** Captures the payment, or throws PaymentDeclinedError (402) / another AppError. */
  capture(request: PaymentRequest): Promise<PaymentCapture>;
}

export class PaymentDeclinedError extends AppError {
  constructor(message: string) {
    super(402, 'payment_declined', message);
  }
}
