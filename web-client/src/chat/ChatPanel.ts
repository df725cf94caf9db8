/**
 * The chat panel: lines in stream-time step with this viewer's picture (held in a
 * HoldBackQueue until the playhead reaches them), the input, notices (missed history, slow
 * mode, errors) and, for the streamer and moderators, per-line moderation buttons and the
 * slow-mode picker. All user text goes in through textContent: chat is never HTML.
 */
import type { ChatEvent, ChatRole, ChatUser, ModerationAction } from '../../../signaling/protocol/messages.ts';
import { CHAT_MAX_CHARS, cleanChatText } from '../../../signaling/protocol/messages.ts';
import { h, setText } from '../ui/element.ts';
import type { ChatClient } from './ChatClient.ts';
import { recordRendered, type ChatHook } from './chat-hook.ts';
import { HoldBackQueue } from './HoldBackQueue.ts';
import type { Playhead } from './playhead.ts';

type Displayable = Extract<ChatEvent, { kind: 'message' | 'donation' | 'sub' }>;

const MAX_LINES = 200;
const RELEASE_EVERY_MS = 50;
const RANK: Record<ChatRole, number> = { viewer: 0, moderator: 1, streamer: 2 };
const SLOW_MODE_CHOICES = [0, 5, 30, 120];

export interface ChatPanelOptions {
  readonly client: ChatClient;
  readonly playhead: Playhead;
  readonly hook: ChatHook;
  /** Called for each donation/sub as it is shown (the streamer's alerts). */
  readonly onSupport?: (event: Extract<ChatEvent, { kind: 'donation' | 'sub' }>) => void;
}

export class ChatPanel {
  readonly element: HTMLElement;
  /** Slot for the reactions bar and the support button, between the lines and the input. */
  readonly actions: HTMLElement;
  readonly #options: ChatPanelOptions;
  readonly #queue = new HoldBackQueue<Displayable>();
  readonly #lines: HTMLOListElement;
  readonly #lineBySeq = new Map<number, HTMLLIElement>();
  readonly #input: HTMLInputElement;
  readonly #send: HTMLButtonElement;
  readonly #status: HTMLElement;
  readonly #missed: HTMLElement;
  readonly #slowNote: HTMLElement;
  readonly #slowPicker: HTMLSelectElement;
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #unsubscribe: Array<() => void> = [];
  #you: ChatUser | null = null;

  constructor(options: ChatPanelOptions) {
    this.#options = options;
    this.#lines = h('ol', { className: 'chat-lines', attrs: { 'aria-live': 'polite' } });
    this.#input = h('input', {
      className: 'input chat-input',
      attrs: { type: 'text', maxlength: String(CHAT_MAX_CHARS * 2), placeholder: 'Say something…', 'aria-label': 'Chat message', autocomplete: 'off', enterkeyhint: 'send' },
    });
    this.#send = h('button', { className: 'btn btn-small btn-primary chat-send', text: 'Send', attrs: { type: 'submit' } });
    this.#status = h('p', { className: 'chat-status', hidden: true, attrs: { role: 'status' } });
    this.#missed = h('p', { className: 'chat-missed', hidden: true });
    this.#slowNote = h('span', { className: 'chat-slow', hidden: true });
    this.#slowPicker = h('select', { className: 'select chat-slow-picker', hidden: true, attrs: { 'aria-label': 'Slow mode' } });
    for (const s of SLOW_MODE_CHOICES) this.#slowPicker.append(h('option', { text: s === 0 ? 'Slow mode off' : `Slow mode ${s} s`, attrs: { value: String(s) } }));
    this.actions = h('div', { className: 'chat-actions' });
    const form = h('form', { className: 'chat-form' }, this.#input, this.#send);
    this.element = h(
      'section',
      { className: 'chat' },
      h('header', { className: 'chat-head' }, h('span', { className: 'chat-title', text: 'Chat' }), this.#slowNote, this.#slowPicker),
      this.#missed,
      this.#lines,
      this.actions,
      form,
      this.#status,
    );

    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.#submit();
    });
    this.#slowPicker.addEventListener('change', () => void this.#moderate({ op: 'slowMode', seconds: Number(this.#slowPicker.value) }));
    this.#lines.addEventListener('click', (e) => this.#onLineClick(e));

    const { client } = options;
    this.#unsubscribe.push(
      client.on('joined', ({ you, slowModeSeconds }) => {
        this.#you = you;
        options.hook.you = you;
        options.hook.joined = true;
        this.#showSlowMode(slowModeSeconds);
        this.#slowPicker.hidden = you.role === 'viewer';
      }),
      client.on('reset', (events) => this.#reset(events)),
      client.on('events', (events) => this.#onEvents(events)),
      client.on('missed', (range) => {
        options.hook.missed.push(range);
        this.#missed.hidden = false;
        setText(this.#missed, `${range.toSeq - range.fromSeq + 1} earlier messages were missed while reconnecting.`);
      }),
    );
    this.#timer = setInterval(() => this.#release(), RELEASE_EVERY_MS);
  }

  close(): void {
    clearInterval(this.#timer);
    this.#unsubscribe.splice(0).forEach((off) => off());
    this.element.remove();
  }

  async #submit(): Promise<void> {
    if (!this.#input.value.trim()) return;
    const cleaned = cleanChatText(this.#input.value);
    if (!cleaned.ok) {
      this.#showStatus(cleaned.reason);
      return;
    }
    const text = cleaned.text;
    this.#send.disabled = true;
    try {
      await this.#options.client.send(text, this.#options.playhead.current() ?? Date.now());
      this.#input.value = '';
      this.#showStatus(null);
    } catch (err) {
      this.#showStatus((err as Error).message);
    } finally {
      this.#send.disabled = false;
    }
  }

  async #moderate(action: ModerationAction): Promise<void> {
    try {
      await this.#options.client.moderate(action);
      this.#showStatus(null);
    } catch (err) {
      this.#showStatus((err as Error).message);
    }
  }

  #reset(events: ChatEvent[]): void {
    this.#queue.remove(() => true);
    this.#lines.replaceChildren();
    this.#lineBySeq.clear();
    // History is the past: shown at once, not held.
    for (const event of events) {
      if (event.kind === 'delete' || event.kind === 'moderation') this.#apply(event);
      else this.#render(event, null, false);
    }
    this.#syncHook();
  }

  #onEvents(events: ChatEvent[]): void {
    const now = Date.now();
    for (const event of events) {
      if (event.kind === 'delete' || event.kind === 'moderation') this.#apply(event);
      else this.#queue.push(event, now);
    }
    this.#release();
  }

  #release(): void {
    const playhead = this.#options.playhead.current();
    for (const event of this.#queue.release(playhead, Date.now())) this.#render(event, playhead);
    this.#syncHook();
  }

  #syncHook(): void {
    const hook = this.#options.hook;
    hook.held = this.#queue.size;
    hook.lastSeq = this.#options.client.lastSeq;
    hook.playheadSource = this.#options.playhead.source;
    hook.delayMs = this.#options.playhead.delayMs;
  }

  /** Deletes and room changes take effect at once, whatever the playhead. */
  #apply(event: Extract<ChatEvent, { kind: 'delete' | 'moderation' }>): void {
    if (event.kind === 'delete') {
      this.#queue.remove((e) => e.seq === event.targetSeq);
      this.#options.hook.deleted.push(event.targetSeq);
      const line = this.#lineBySeq.get(event.targetSeq);
      if (line) this.#markDeleted(line);
      return;
    }
    const { action } = event;
    if (action.op === 'slowMode') this.#showSlowMode(action.seconds);
    if ((action.op === 'addModerator' || action.op === 'removeModerator') && action.userId === this.#you?.id) {
      this.#you = { ...this.#you, role: action.op === 'addModerator' ? 'moderator' : 'viewer' };
      this.#options.hook.you = this.#you;
      this.#slowPicker.hidden = this.#you.role === 'viewer';
    }
    this.#append(h('li', { className: 'chat-line chat-line-notice', text: describeModeration(event) }));
  }

  /** @param live false for history: old donations do not alert again. */
  #render(event: Displayable, playhead: number | null, live = true): void {
    const line = h('li', { className: `chat-line chat-line-${event.kind}`, attrs: { 'data-seq': String(event.seq), 'data-user': event.user.id } });
    if (event.user.role !== 'viewer') line.append(h('span', { className: `chat-badge chat-badge-${event.user.role}`, text: event.user.role === 'streamer' ? 'STREAMER' : 'MOD' }));
    line.append(h('span', { className: 'chat-name', text: event.user.name }));
    let text = '';
    if (event.kind === 'message') {
      text = event.text;
      line.append(h('span', { className: 'chat-text', text }));
      if (event.deleted) this.#markDeleted(line);
      else this.#addModerationButtons(line, event.user);
    } else {
      const { entry } = event;
      const what = event.kind === 'donation' ? `donated ${entry.amount} ${entry.currency}` : `subscribed (tier ${entry.tier ?? 1}, ${entry.months ?? 1} mo) · ${entry.amount} ${entry.currency}`;
      line.append(h('span', { className: 'chat-amount', text: what }));
      text = entry.message ?? '';
      if (text) line.append(h('span', { className: 'chat-text', text }));
      if (live) this.#options.onSupport?.(event);
    }
    this.#lineBySeq.set(event.seq, line);
    this.#append(line);
    recordRendered(this.#options.hook, { seq: event.seq, kind: event.kind, text, streamTime: event.streamTime, renderedAt: Date.now(), playhead });
  }

  #addModerationButtons(line: HTMLLIElement, author: ChatUser): void {
    const you = this.#you;
    if (!you || you.role === 'viewer' || author.id === you.id) return;
    if (you.role !== 'streamer' && RANK[you.role] <= RANK[author.role]) return;
    const tools = h('span', { className: 'chat-tools' });
    const button = (op: string, label: string, title: string): HTMLButtonElement => h('button', { className: 'chat-tool', text: label, attrs: { type: 'button', 'data-op': op, title, 'aria-label': title } });
    tools.append(button('delete', 'del', 'Delete message'), button('timeout', '10m', 'Time out 10 minutes'), button('ban', 'ban', 'Ban from chat'));
    if (you.role === 'streamer' && author.role === 'viewer') tools.append(button('addModerator', 'mod', 'Make moderator'));
    line.append(tools);
  }

  #onLineClick(e: MouseEvent): void {
    const button = (e.target as HTMLElement).closest<HTMLButtonElement>('button[data-op]');
    const line = button?.closest<HTMLLIElement>('li[data-seq]');
    if (!button || !line) return;
    const seq = Number(line.dataset['seq']);
    const userId = line.dataset['user'] ?? '';
    const op = button.dataset['op'];
    if (op === 'delete') void this.#moderate({ op: 'delete', seq });
    else if (op === 'timeout') void this.#moderate({ op: 'timeout', userId, seconds: 600 });
    else if (op === 'ban') void this.#moderate({ op: 'ban', userId });
    else if (op === 'addModerator') void this.#moderate({ op: 'addModerator', userId });
  }

  #markDeleted(line: HTMLLIElement): void {
    line.classList.add('chat-line-deleted');
    line.querySelector('.chat-tools')?.remove();
    const text = line.querySelector('.chat-text');
    if (text) setText(text as HTMLElement, 'message deleted');
  }

  #append(line: HTMLLIElement): void {
    const list = this.#lines;
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.append(line);
    while (list.childElementCount > MAX_LINES) {
      const oldest = list.firstElementChild as HTMLLIElement;
      this.#lineBySeq.delete(Number(oldest.dataset['seq']));
      oldest.remove();
    }
    if (atBottom) list.scrollTop = list.scrollHeight;
  }

  #showSlowMode(seconds: number): void {
    this.#slowNote.hidden = seconds === 0;
    setText(this.#slowNote, `slow mode ${seconds} s`);
    this.#slowPicker.value = String(SLOW_MODE_CHOICES.includes(seconds) ? seconds : 0);
  }

  #showStatus(message: string | null): void {
    this.#options.hook.lastError = message;
    this.#status.hidden = message === null;
    setText(this.#status, message ?? '');
  }
}

function describeModeration(event: Extract<ChatEvent, { kind: 'moderation' }>): string {
  const { action } = event;
  const who = event.targetName ?? 'someone';
  switch (action.op) {
    case 'timeout':
      return `${who} was timed out for ${action.seconds} s`;
    case 'ban':
      return `${who} was banned`;
    case 'unban':
      return `${who} was unbanned`;
    case 'addModerator':
      return `${who} is now a moderator`;
    case 'removeModerator':
      return `${who} is no longer a moderator`;
    case 'slowMode':
      return action.seconds === 0 ? 'Slow mode is off' : `Slow mode: one message every ${action.seconds} s`;
    case 'delete':
      return 'A message was deleted';
  }
}
