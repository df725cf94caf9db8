/**
 * The phone's power signals for the power policy: battery level and charging
 * (Battery Status API), CPU pressure (Compute Pressure API) and the streamer's
 * power-saver switch. Each API is optional: where it is missing (Safari, Firefox,
 * plain http) its reading stays null and the page works without it.
 */
import type { BatteryReading, PressureState } from './power-policy.ts';

interface BatteryManagerLike extends EventTarget {
  readonly level: number;
  readonly charging: boolean;
}

interface PressureRecordLike {
  readonly state: string;
}

interface PressureObserverLike {
  observe(source: 'cpu', options?: { sampleInterval?: number }): Promise<void>;
  disconnect(): void;
}

type PressureObserverCtor = new (callback: (records: PressureRecordLike[]) => void) => PressureObserverLike;

const PRESSURE_STATES: readonly string[] = ['nominal', 'fair', 'serious', 'critical'];

export class PowerSensors {
  #battery: BatteryReading | null = null;
  #pressure: PressureState | null = null;
  powerSaver = false;
  /**
   * Whether the host's CPU load counts (Compute Pressure, the encoder's 'cpu' limitation).
   * Off for the test pattern: it measures the pipeline on shared test machines, whose load
   * must not change what is sent.
   */
  readonly cpuSignals: boolean;
  #manager: BatteryManagerLike | null = null;
  #observer: PressureObserverLike | null = null;
  #closed = false;
  constructor(options: { cpuSignals?: boolean } = {}) {
    this.cpuSignals = options.cpuSignals ?? true;
  }

  readonly #onBattery = (): void => {
    if (this.#manager) this.#battery = { level: this.#manager.level, charging: this.#manager.charging };
  };

  get battery(): BatteryReading | null {
    return this.#battery;
  }

  get pressure(): PressureState | null {
    return this.#pressure;
  }

  /** Starts listening; never rejects (a missing or refused API leaves its reading null). */
  async start(): Promise<void> {
    const nav = navigator as Navigator & { getBattery?: () => Promise<BatteryManagerLike> };
    if (typeof nav.getBattery === 'function') {
      try {
        const manager = await nav.getBattery();
        if (this.#closed) return;
        this.#manager = manager;
        manager.addEventListener('levelchange', this.#onBattery);
        manager.addEventListener('chargingchange', this.#onBattery);
        this.#onBattery();
      } catch {
        // Refused (permissions policy): no battery signal.
      }
    }
    const Observer = (globalThis as { PressureObserver?: PressureObserverCtor }).PressureObserver;
    if (typeof Observer === 'function' && this.cpuSignals && !this.#closed) {
      try {
        const observer = new Observer((records) => {
          const state = records[records.length - 1]?.state;
          if (state && PRESSURE_STATES.includes(state)) this.#pressure = state as PressureState;
        });
        await observer.observe('cpu', { sampleInterval: 2000 });
        this.#observer = observer;
        if (this.#closed) observer.disconnect();
      } catch {
        // 'cpu' not supported on this device.
      }
    }
  }

  close(): void {
    this.#closed = true;
    this.#manager?.removeEventListener('levelchange', this.#onBattery);
    this.#manager?.removeEventListener('chargingchange', this.#onBattery);
    this.#observer?.disconnect();
    this.#manager = null;
    this.#observer = null;
  }
}
