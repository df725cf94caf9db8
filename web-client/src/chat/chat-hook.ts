/**
 * window.__chat: what the chat UI did, for tests and benchmarks (same convention as
 * window.__watch / window.__live): which events were rendered when, at which playhead.
 */
import type { ChatUser } from '../../../signaling/protocol/messages.ts';

export interface RenderedRecord {
  readonly seq: number;
  readonly kind: string;
  readonly text: string;
  readonly streamTime: number;
  /** Date.now() when the line appeared. */
  readonly renderedAt: number;
  /** This viewer's playhead at that moment (null = not playing, shown at once). */
  readonly playhead: number | null;
}

export interface ChatHook {
  you: ChatUser | null;
  joined: boolean;
  lastSeq: number;
  /** Lines rendered, oldest first (last 2000). */
  rendered: RenderedRecord[];
  /** Items waiting for the playhead. */
  held: number;
  deleted: number[];
  missed: Array<{ fromSeq: number; toSeq: number }>;
  reactionsShown: number;
  alerts: Array<{ kind: string; name: string; amount: string; currency: string }>;
  playheadSource: string;
  delayMs: number | null;
  lastError: string | null;
}

export function chatHook(): ChatHook {
  const w = window as unknown as Record<string, unknown>;
  const existing = w['__chat'] as ChatHook | undefined;
  if (existing) return existing;
  const hook: ChatHook = {
    you: null,
    joined: false,
    lastSeq: 0,
    rendered: [],
    held: 0,
    deleted: [],
    missed: [],
    reactionsShown: 0,
    alerts: [],
    playheadSource: 'none',
    delayMs: null,
    lastError: null,
  };
  w['__chat'] = hook;
  return hook;
}

export function recordRendered(hook: ChatHook, record: RenderedRecord): void {
  hook.rendered.push(record);
  if (hook.rendered.length > 2000) hook.rendered.splice(0, hook.rendered.length - 2000);
}
