/**
 * TestPaymentProvider: the explicit stand-in for a real payment processor. It moves no money:
 * every capture succeeds (reference derived from the idempotency key, so retries get the same
 * one) except for the documented test token `tok_test_decline`, which is declined. Replace it
 * with a real PaymentProvider before taking payments.
 */
import { createHash } from 'node:crypto';
import { PaymentDeclinedError, type PaymentCapture, type PaymentProvider, type PaymentRequest } from './PaymentProvider.ts';

export const TEST_DECLINE_TOKEN = 'tok_test_decline';

export class TestPaymentProvider implements PaymentProvider {
  readonly name = 'test';
  readonly #captures = new Map<string, PaymentCapture>();

  async capture(request: PaymentRequest): Promise<PaymentCapture> {
    if (request.paymentToken === TEST_DECLINE_TOKEN) {
      throw new PaymentDeclinedError(`the test payment provider declined token ${TEST_DECLINE_TOKEN}; use any other token (or none)`);
    }
    const known = this.#captures.get(request.idempotencyKey);
    if (known) return known;
    const reference = `test_${createHash('sha256').update(request.idempotencyKey).digest('base64url').slice(0, 20)}`;
    const capture = { provider: this.name, reference };
    this.#captures.set(request.idempotencyKey, capture);
    return capture;
  }

  /** Distinct payments captured by this instance (tests use it to show retries are not charged twice). */
  get captureCount(): number {
    return this.#captures.size;
  }
}
