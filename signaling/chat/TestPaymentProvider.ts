/**
 * TestPaymentProvider: the explicit stand-in for a real payment processor. It moves no money:
 * every capture succeeds, with a reference derived from the idempotency key (so a retry gets
 * the same one, as with real processors), except for the documented test token
 * `tok_test_decline`, which is declined. Replace it with a real PaymentProvider before taking payments.
 */
import { createHash } from 'node:crypto';
import { PaymentDeclinedError, type PaymentCapture, type PaymentProvider, type PaymentRequest } from './PaymentProvider.ts';

export const TEST_DECLINE_TOKEN = 'tok_test_decline';

export class TestPaymentProvider implements PaymentProvider {
  readonly name = 'test';
  #captureCalls = 0;

  async capture(request: PaymentRequest): Promise<PaymentCapture> {
    this.#captureCalls++;
    if (request.paymentToken === TEST_DECLINE_TOKEN) {
      throw new PaymentDeclinedError(`the test payment provider declined token ${TEST_DECLINE_TOKEN}; use any other token (or none)`);
    }
    const reference = `test_${createHash('sha256').update(request.idempotencyKey).digest('base64url').slice(0, 20)}`;
    return { provider: this.name, reference };
  }

  /** capture() calls so far: a retry answered from the ledger never reaches the provider. */
  get captureCalls(): number {
    return this.#captureCalls;
  }
}
