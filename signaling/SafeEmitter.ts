/**
 * A typed EventEmitter whose emit() isolates listener failures: a throwing
 * listener is logged and the remaining listeners still run, so one broken
 * subscriber (say, a WebSocket fan-out) cannot stall the registry that emits.
 */
import { EventEmitter } from 'node:events';
import { createLogger } from './logger.ts';

const logger = createLogger('signaling:SafeEmitter');

export type EventMap = Record<string, unknown[]>;

export class SafeEmitter<E extends EventMap> {
  readonly #emitter = new EventEmitter();

  constructor() {
    // Many WebSocket followers may listen to one registry; the default cap of 10 is a leak heuristic, not a limit.
    this.#emitter.setMaxListeners(0);
  }

  on<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  once<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#emitter.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  listenerCount<K extends keyof E & string>(event: K): number {
    return this.#emitter.listenerCount(event);
  }

  protected safeEmit<K extends keyof E & string>(event: K, ...args: E[K]): void {
    for (const listener of this.#emitter.rawListeners(event)) {
      try {
        (listener as (...a: unknown[]) => void).apply(this, args);
      } catch (err) {
        logger.error(`listener for "${event}" threw`, err);
      }
    }
  }
}
