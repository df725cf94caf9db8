/** Browser side of SignalingClient.test.ts: exposes the client and a log of its events. */
import { SignalingClient } from '../SignalingClient.ts';

export interface HarnessEvent {
  event: string;
  detail: unknown;
}

const events: HarnessEvent[] = [];

function create(url: string): SignalingClient {
  const client = new SignalingClient(url, { requestTimeoutMs: 3000 });
  client.on('open', (e) => events.push({ event: 'open', detail: e }));
  client.on('stream', (s) => events.push({ event: 'stream', detail: s }));
  client.on('error', (e) => events.push({ event: 'error', detail: { status: e.status, code: e.code } }));
  client.on('state', (s) => events.push({ event: 'state', detail: s }));
  client.connect();
  return client;
}

Object.assign(window, { signalingHarness: { create, events } });
