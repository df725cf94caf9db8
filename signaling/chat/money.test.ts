import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatMinor, toMinorUnits } from './money.ts';

describe('money', () => {
  test('decimal strings and numbers become integer minor units without float error', () => {
    assert.deepEqual(toMinorUnits('4.99', 'USD'), { ok: true, minor: 499 });
    assert.deepEqual(toMinorUnits(0.29, 'EUR'), { ok: true, minor: 29 });
    assert.deepEqual(toMinorUnits(10, 'GBP'), { ok: true, minor: 1000 });
    assert.deepEqual(toMinorUnits('5.50', 'USD'), { ok: true, minor: 550 });
    assert.deepEqual(toMinorUnits('500', 'JPY'), { ok: true, minor: 500 });
    assert.deepEqual(toMinorUnits('1.000', 'USD'), { ok: true, minor: 100 });
  });

  test('zero, negative, too precise, too large and non-decimal amounts are refused with a reason', () => {
    const reason = (r: ReturnType<typeof toMinorUnits>): string => (r.ok ? 'accepted' : r.reason);
    assert.match(reason(toMinorUnits('0', 'USD')), /positive/);
    assert.match(reason(toMinorUnits(0, 'USD')), /positive/);
    assert.match(reason(toMinorUnits(-5, 'USD')), /positive/);
    assert.match(reason(toMinorUnits('-5', 'USD')), /positive/);
    assert.match(reason(toMinorUnits('4.999', 'USD')), /at most 2 decimals/);
    assert.match(reason(toMinorUnits('4.5', 'JPY')), /whole numbers/);
    assert.match(reason(toMinorUnits('10000.01', 'USD')), /at most 10000\.00 USD/);
    assert.match(reason(toMinorUnits(1e21, 'USD')), /plain decimal/);
    assert.match(reason(toMinorUnits(Number.NaN, 'USD')), /plain decimal/);
    assert.match(reason(toMinorUnits('4,99', 'EUR')), /decimal like 4\.99/);
  });

  test('minor units format back in the currency precision', () => {
    assert.equal(formatMinor(499, 'USD'), '4.99');
    assert.equal(formatMinor(5, 'EUR'), '0.05');
    assert.equal(formatMinor(1_000_000, 'USD'), '10000.00');
    assert.equal(formatMinor(500, 'JPY'), '500');
  });
});
