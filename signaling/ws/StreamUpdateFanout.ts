/**
 * Pushes stream updates to every socket following the stream, through uWS
 * topics (one serialization per update, per-socket backpressure handled by uWS).
 * Lifecycle changes go out at once; viewer-count changes are coalesced per
 * stream, so a thousand viewers joining does not send a thousand updates to
 * each follower.
 */
import type { TemplatedApp } from 'uWebSockets.js';
import { encodeMessage } from '../protocol/codec.ts';
import type { StreamInfo } from '../protocol/messages.ts';
import { toStreamInfo, type StreamChange, type StreamRegistry } from '../streams/StreamRegistry.ts';

export function streamTopic(streamId: string): string {
  return `stream/${streamId}`;
}

export class StreamUpdateFanout {
  readonly #app: TemplatedApp;
  readonly #streams: StreamRegistry;
  readonly #coalesceMs: number;
  readonly #pending = new Map<string, NodeJS.Timeout>();
  readonly #onUpdate = (info: StreamInfo, change: StreamChange): void => this.#handle(info, change);

  constructor(app: TemplatedApp, streams: StreamRegistry, options: { coalesceMs?: number } = {}) {
    this.#app = app;
    this.#streams = streams;
    this.#coalesceMs = options.coalesceMs ?? 250;
    streams.on('update', this.#onUpdate);
  }

  close(): void {
    this.#streams.off('update', this.#onUpdate);
    for (const timer of this.#pending.values()) clearTimeout(timer);
    this.#pending.clear();
  }

  #handle(info: StreamInfo, change: StreamChange): void {
    if (change === 'viewers') {
      if (this.#pending.has(info.id)) return;
      const timer = setTimeout(() => {
        this.#pending.delete(info.id);
        const latest = this.#streams.get(info.id);
        if (latest) this.#publish(toStreamInfo(latest));
      }, this.#coalesceMs);
      timer.unref();
      this.#pending.set(info.id, timer);
      return;
    }
    // A state change carries the latest count too, so a pending count update is redundant.
    clearTimeout(this.#pending.get(info.id));
    this.#pending.delete(info.id);
    this.#publish(info);
  }

  #publish(info: StreamInfo): void {
    this.#app.publish(streamTopic(info.id), encodeMessage({ type: 'stream', stream: info }), true, false);
  }
}
