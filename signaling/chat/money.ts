/**
 * Money for donations and subs: amounts travel in major units ("4.99") and are stored as
 * integer minor units (499) so no float ever touches the ledger. Each known currency has
 * its ISO 4217 exponent and an upper bound (about 10,000 USD) that a single payment may not pass.
 * Pure functions: the web client's donate dialog validates with the same rules.
 */
import type { Currency } from '../protocol/messages.ts';

interface CurrencyRule {
  /** Digits after the decimal point (ISO 4217 minor unit). */
  readonly exponent: number;
  /** Largest amount accepted, in minor units. */
  readonly maxMinor: number;
}

export const CURRENCY_RULES: Readonly<Record<Currency, CurrencyRule>> = Object.freeze({
  USD: { exponent: 2, maxMinor: 1_000_000 },
  EUR: { exponent: 2, maxMinor: 1_000_000 },
  GBP: { exponent: 2, maxMinor: 800_000 },
  CAD: { exponent: 2, maxMinor: 1_400_000 },
  AUD: { exponent: 2, maxMinor: 1_500_000 },
  CHF: { exponent: 2, maxMinor: 900_000 },
  SEK: { exponent: 2, maxMinor: 10_000_000 },
  NOK: { exponent: 2, maxMinor: 10_000_000 },
  DKK: { exponent: 2, maxMinor: 7_000_000 },
  PLN: { exponent: 2, maxMinor: 4_000_000 },
  BRL: { exponent: 2, maxMinor: 5_000_000 },
  INR: { exponent: 2, maxMinor: 80_000_000 },
  JPY: { exponent: 0, maxMinor: 1_500_000 },
  KRW: { exponent: 0, maxMinor: 14_000_000 },
});

export type MinorUnitsResult = { ok: true; minor: number } | { ok: false; reason: string };

/** Parses a major-unit amount (number or decimal string) into minor units, with a reason when it is not acceptable. */
export function toMinorUnits(amount: number | string, currency: Currency): MinorUnitsResult {
  const rule = CURRENCY_RULES[currency];
  const text = typeof amount === 'number' ? numberToPlain(amount) : amount.trim();
  if (text === undefined) return { ok: false, reason: `amount must be a plain decimal number, got ${String(amount)}` };
  if (text.startsWith('-')) return { ok: false, reason: 'amount must be positive' };
  const match = /^(\d{1,12})(?:\.(\d+))?$/.exec(text);
  if (!match) return { ok: false, reason: `amount must be a decimal like ${example(currency)}, got "${text}"` };
  const whole = match[1]!;
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (fraction.length > rule.exponent) {
    return { ok: false, reason: rule.exponent === 0 ? `${currency} amounts are whole numbers` : `${currency} amounts have at most ${rule.exponent} decimals` };
  }
  const minor = Number(whole) * 10 ** rule.exponent + Number(fraction.padEnd(rule.exponent, '0') || '0');
  if (!(minor > 0)) return { ok: false, reason: 'amount must be positive' };
  if (minor > rule.maxMinor) return { ok: false, reason: `amount must be at most ${formatMinor(rule.maxMinor, currency)} ${currency}` };
  return { ok: true, minor };
}

/** Minor units as a major-unit decimal string in the currency's precision: 499 USD → "4.99". */
export function formatMinor(minor: number, currency: Currency): string {
  const { exponent } = CURRENCY_RULES[currency];
  if (exponent === 0) return String(minor);
  const digits = String(minor).padStart(exponent + 1, '0');
  return `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

function numberToPlain(n: number): string | undefined {
  if (!Number.isFinite(n)) return undefined;
  const text = String(n);
  // 1e-7 or 1e+21: not something a person typed as money.
  return /e/i.test(text) ? undefined : text;
}

function example(currency: Currency): string {
  return CURRENCY_RULES[currency].exponent === 0 ? '500' : '4.99';
}
