/**
 * The donate / subscribe dialog: amount and currency checked with the ledger's own rules
 * (signaling/chat/money.ts) before sending, then recorded through ChatClient.support, which
 * keeps one idempotency key across its retries. Payments go to the server's provider, which
 * is the TestPaymentProvider until a real one is configured.
 */
import { Currency } from '../../../signaling/protocol/messages.ts';
import { formatMinor, toMinorUnits } from '../../../signaling/chat/money.ts';
import { h, setText } from '../ui/element.ts';
import type { ChatClient } from './ChatClient.ts';
import type { Playhead } from './playhead.ts';

export class SupportDialog {
  readonly button: HTMLButtonElement;
  readonly dialog: HTMLDialogElement;
  readonly #client: ChatClient;
  readonly #playhead: Playhead;
  readonly #kind: HTMLSelectElement;
  readonly #amount: HTMLInputElement;
  readonly #currency: HTMLSelectElement;
  readonly #message: HTMLInputElement;
  readonly #tier: HTMLSelectElement;
  readonly #submit: HTMLButtonElement;
  readonly #result: HTMLElement;

  constructor(client: ChatClient, playhead: Playhead) {
    this.#client = client;
    this.#playhead = playhead;
    this.button = h('button', { className: 'btn btn-small btn-primary support-open', text: 'Support', attrs: { type: 'button', 'aria-haspopup': 'dialog' } });
    this.#kind = h('select', { className: 'select', attrs: { name: 'kind', 'aria-label': 'Donate or subscribe' } }, h('option', { text: 'Donate', attrs: { value: 'donation' } }), h('option', { text: 'Subscribe', attrs: { value: 'sub' } }));
    this.#amount = h('input', { className: 'input', attrs: { name: 'amount', type: 'text', inputmode: 'decimal', value: '5.00', 'aria-label': 'Amount', autocomplete: 'off' } });
    this.#currency = h('select', { className: 'select', attrs: { name: 'currency', 'aria-label': 'Currency' } });
    for (const code of Currency.options) this.#currency.append(h('option', { text: code, attrs: { value: code } }));
    this.#message = h('input', { className: 'input', attrs: { name: 'message', type: 'text', maxlength: '500', placeholder: 'Message (optional)', 'aria-label': 'Message' } });
    this.#tier = h('select', { className: 'select', hidden: true, attrs: { name: 'tier', 'aria-label': 'Tier' } });
    for (const t of [1, 2, 3]) this.#tier.append(h('option', { text: `Tier ${t}`, attrs: { value: String(t) } }));
    this.#submit = h('button', { className: 'btn btn-primary', text: 'Send', attrs: { type: 'submit' } });
    this.#result = h('p', { className: 'support-result', attrs: { role: 'status' } });
    const cancel = h('button', { className: 'btn', text: 'Close', attrs: { type: 'button' } });
    const form = h(
      'form',
      { className: 'support-form' },
      h('h2', { className: 'support-title', text: 'Support the streamer' }),
      h('div', { className: 'field-row' }, this.#kind, this.#tier),
      h('div', { className: 'field-row' }, this.#amount, this.#currency),
      this.#message,
      h('p', { className: 'muted support-note', text: 'Payments use the server’s payment provider (a test provider in this build: no money moves).' }),
      this.#result,
      h('div', { className: 'control-row' }, cancel, this.#submit),
    );
    this.dialog = h('dialog', { className: 'support-dialog' }, form);

    this.button.addEventListener('click', () => {
      setText(this.#result, '');
      this.dialog.showModal();
    });
    cancel.addEventListener('click', () => this.dialog.close());
    this.#kind.addEventListener('change', () => {
      const sub = this.#kind.value === 'sub';
      this.#tier.hidden = !sub;
      this.#message.hidden = sub;
    });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.#send();
    });
  }

  async #send(): Promise<void> {
    const currency = Currency.parse(this.#currency.value);
    const amount = toMinorUnits(this.#amount.value, currency);
    if (!amount.ok) {
      setText(this.#result, amount.reason);
      return;
    }
    const major = formatMinor(amount.minor, currency);
    const message = this.#message.value.trim();
    this.#submit.disabled = true;
    setText(this.#result, 'Sending…');
    try {
      const entry =
        this.#kind.value === 'sub'
          ? await this.#client.support({ kind: 'sub', amount: major, currency, tier: Number(this.#tier.value) as 1 | 2 | 3, months: 1 }, this.#playhead.current())
          : await this.#client.support({ kind: 'donation', amount: major, currency, message: message || undefined }, this.#playhead.current());
      setText(this.#result, `Thank you! ${entry.amount} ${entry.currency} recorded.`);
      this.#message.value = '';
    } catch (err) {
      setText(this.#result, `Not sent: ${(err as Error).message}`);
    } finally {
      this.#submit.disabled = false;
    }
  }
}
