/** Test helpers for chat over the real /ws gateway: temp data dirs, joining, collecting sequenced events. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Platform } from '../../platform.ts';
import type { ChatEvent, ClientMessageOf, ServerMessage, ServerMessageOf } from '../../protocol/messages.ts';
import { TestWsClient } from '../../testing/TestWsClient.ts';

export function tempDataDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'chat-test-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function wsUrl(platform: Platform): string {
  return `${platform.url.replace(/^http/, 'ws')}/ws`;
}

let nextReqId = 1000;

export async function joinChat(
  client: TestWsClient,
  streamId: string,
  extra: Partial<Omit<ClientMessageOf<'chatJoin'>, 'type' | 'reqId' | 'streamId'>> = {},
): Promise<ServerMessageOf<'chatJoined'>> {
  const reqId = nextReqId++;
  client.send({ type: 'chatJoin', reqId, streamId, ...extra });
  const reply = await client.nextWhere((m) => (m.type === 'chatJoined' || m.type === 'error') && m.reqId === reqId);
  assert.equal(reply.type, 'chatJoined', `chatJoin failed: ${JSON.stringify(reply)}`);
  return reply as ServerMessageOf<'chatJoined'>;
}

/** Sends a chat message and waits for its ack (or throws with the error frame). */
export async function say(client: TestWsClient, streamId: string, text: string, streamTime = Date.now()): Promise<number> {
  const reqId = nextReqId++;
  client.send({ type: 'chatSend', reqId, streamId, text, streamTime });
  const reply = await client.nextWhere((m) => (m.type === 'chatAck' || m.type === 'error') && m.reqId === reqId);
  if (reply.type !== 'chatAck') throw new Error(`chatSend refused: ${JSON.stringify(reply)}`);
  return reply.seq;
}

export function reqIdFor(): number {
  return nextReqId++;
}

/**
 * Collects sequenced events from `chat` frames until one with seq >= untilSeq arrives.
 * Other frames (acks, reactions, errors) are passed to `other` if given, else dropped.
 */
export async function collectUntil(client: TestWsClient, untilSeq: number, timeoutMs = 10_000, other?: (m: ServerMessage) => void): Promise<ChatEvent[]> {
  const events: ChatEvent[] = [];
  const deadline = Date.now() + timeoutMs;
  while ((events.at(-1)?.seq ?? 0) < untilSeq) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`only reached seq ${events.at(-1)?.seq ?? 0} of ${untilSeq} within ${timeoutMs} ms`);
    const m = await client.nextWhere((x) => {
      if (x.type === 'chat') return true;
      other?.(x);
      return false;
    }, left);
    if (m.type === 'chat') events.push(...m.events);
  }
  return events;
}

/** Asserts seqs are exactly from..to, each once, in order. */
export function assertContiguous(events: readonly ChatEvent[], from: number, to: number, who: string): void {
  const seqs = events.map((e) => e.seq);
  const expected = Array.from({ length: to - from + 1 }, (_, i) => from + i);
  assert.deepEqual(seqs, expected, `${who}: expected seqs ${from}..${to} exactly once in order`);
}
