/**
 * Typed event hub for the bridge (hls.js hls.ts trigger()): a listener that throws
 * does not stop the others or the media path; the failure is re-emitted as
 * BridgeEvents.ERROR (INTERNAL_EXCEPTION), guarded against recursion.
 */
import { BridgeErrorDetails, BridgeEvents, type BridgeListeners } from './BridgeEvents.ts';
import { createLogger } from '../signaling/logger.ts';

const logger = createLogger('hls:BridgeEmitter');

export class BridgeEmitter {
  readonly #listeners = new Map<BridgeEvents, Set<(...args: never[]) => void>>();

  on<E extends BridgeEvents>(event: E, listener: BridgeListeners[E]): this {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener as (...args: never[]) => void);
    return this;
  }

  off<E extends BridgeEvents>(event: E, listener: BridgeListeners[E]): this {
    this.#listeners.get(event)?.delete(listener as (...args: never[]) => void);
    return this;
  }

  once<E extends BridgeEvents>(event: E, listener: BridgeListeners[E]): this {
    const wrapper = ((...args: Parameters<BridgeListeners[E]>) => {
      this.off(event, wrapper);
      (listener as (...a: Parameters<BridgeListeners[E]>) => void)(...args);
    }) as BridgeListeners[E];
    return this.on(event, wrapper);
  }

  removeAllListeners(): void {
    this.#listeners.clear();
  }

  protected trigger<E extends BridgeEvents>(event: E, ...args: Parameters<BridgeListeners[E]>): void {
    for (const listener of [...(this.#listeners.get(event) ?? [])]) {
      try {
        (listener as (...a: Parameters<BridgeListeners[E]>) => void)(...args);
      } catch (err) {
        if (event === BridgeEvents.ERROR) {
          logger.error(`listener for ${event} threw`, err);
          continue;
        }
        this.trigger(BridgeEvents.ERROR, {
          details: BridgeErrorDetails.INTERNAL_EXCEPTION,
          fatal: false,
          message: `a ${event} listener threw: ${err instanceof Error ? err.message : String(err)}`,
          ...(err instanceof Error ? { error: err } : {}),
        });
      }
    }
  }
}
