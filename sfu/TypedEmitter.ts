/**
 * EventEmitter with a typed event map per class (mediasoup's EnhancedEventEmitter):
 * each event name maps to the tuple of its arguments, so emit/on/once/off are
 * checked at compile time. safeEmit() runs every listener even when one throws;
 * the failure is re-emitted as 'listenererror' (or logged when nobody listens),
 * so one broken subscriber cannot stall the media plane that emits.
 */
import { EventEmitter } from 'node:events';
import { createLogger } from '../signaling/logger.ts';

const logger = createLogger('sfu:TypedEmitter');

export type EventMap = Record<string, unknown[]>;

/** Every emitter also carries this event, raised when a listener throws. */
export type ListenerErrorEvents = { listenererror: [eventName: string, error: unknown] };

type Listener = (...args: unknown[]) => void;

export class TypedEmitter<E extends EventMap> {
  readonly #emitter = new EventEmitter();

  constructor() {
    // Many viewers may listen to one router; the default cap of 10 is a leak heuristic, not a limit.
    this.#emitter.setMaxListeners(0);
  }

  on<K extends keyof (E & ListenerErrorEvents) & string>(event: K, listener: (...args: (E & ListenerErrorEvents)[K]) => void): this {
    this.#emitter.on(event, listener as Listener);
    return this;
  }

  once<K extends keyof (E & ListenerErrorEvents) & string>(event: K, listener: (...args: (E & ListenerErrorEvents)[K]) => void): this {
    this.#emitter.once(event, listener as Listener);
    return this;
  }

  off<K extends keyof (E & ListenerErrorEvents) & string>(event: K, listener: (...args: (E & ListenerErrorEvents)[K]) => void): this {
    this.#emitter.off(event, listener as Listener);
    return this;
  }

  listenerCount<K extends keyof (E & ListenerErrorEvents) & string>(event: K): number {
    return this.#emitter.listenerCount(event);
  }

  removeAllListeners(): this {
    this.#emitter.removeAllListeners();
    return this;
  }

  /** Calls each listener in isolation; a throwing listener does not stop the others. */
  protected safeEmit<K extends keyof E & string>(event: K, ...args: E[K]): boolean {
    const listeners = this.#emitter.rawListeners(event) as Listener[];
    for (const listener of listeners) {
      try {
        listener.apply(this, args);
      } catch (err) {
        this.#reportListenerError(event, err);
      }
    }
    return listeners.length > 0;
  }

  #reportListenerError(event: string, err: unknown): void {
    if (event !== 'listenererror' && this.#emitter.listenerCount('listenererror') > 0) {
      for (const listener of this.#emitter.rawListeners('listenererror') as Listener[]) {
        try {
          listener.call(this, event, err);
        } catch (inner) {
          logger.error(`safeEmit() 'listenererror' listener threw [event:${event}]`, inner);
        }
      }
      return;
    }
    logger.error(`safeEmit() listener threw [event:${event}]`, err);
  }
}
