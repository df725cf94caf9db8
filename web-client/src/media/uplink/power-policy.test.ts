import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_POWER_TUNING as T, INITIAL_POWER_STATE, updatePower, type BatteryReading, type PowerSignals, type PowerState, type PressureState } from './power-policy.ts';
import { capOneBelow, type VideoCap } from './quality-ladder.ts';
import type { QualityLimitation } from './uplink-stepper.ts';

const P1080: VideoCap = { height: 1080, fps: 30 };

/** Fake sensors and a fake clock: one updatePower() call per second. */
class Phone {
  state: PowerState = INITIAL_POWER_STATE;
  now = 0;
  battery: BatteryReading | null = null;
  pressure: PressureState | null = null;
  limitation: QualityLimitation | null = 'none';
  powerSaver = false;
  /** What the page sends: follows the cap, as the controller does. */
  sending: VideoCap = P1080;
  tick(seconds = 1) {
    let last!: ReturnType<typeof updatePower>;
    for (let i = 0; i < seconds; i++) {
      const signals: PowerSignals = { nowMs: this.now, battery: this.battery, pressure: this.pressure, limitation: this.limitation, powerSaver: this.powerSaver };
      last = updatePower(this.state, signals, this.sending);
      this.state = last.state;
      const cap = last.decision.cap;
      this.sending = cap ? { height: Math.min(P1080.height, cap.height), fps: Math.min(P1080.fps, cap.fps) } : P1080;
      this.now += 1000;
    }
    return last.decision;
  }
}

const BATTERY: Array<[string, BatteryReading | null]> = [
  ['no battery API', null],
  ['full', { level: 0.9, charging: false }],
  ['20%', { level: 0.2, charging: false }],
  ['15% charging', { level: 0.15, charging: true }],
  ['10%', { level: 0.1, charging: false }],
  ['5% charging', { level: 0.05, charging: true }],
];
const PRESSURE: Array<PressureState | null> = [null, 'nominal', 'fair', 'serious', 'critical'];
const LIMITATION: Array<QualityLimitation | null> = [null, 'none', 'bandwidth', 'cpu'];

/** What the brief asks for each signal alone, as [height, fps] or null. */
function expectedCap(battery: BatteryReading | null, pressure: PressureState | null, limitation: QualityLimitation | null): { cap: [number, number] | null; reasons: string[] } {
  const caps: Array<[[number, number], string]> = [];
  if (battery && !battery.charging && battery.level <= 0.1) caps.push([[360, 15], 'battery-critical']);
  else if (battery && !battery.charging && battery.level <= 0.2) caps.push([[480, 24], 'battery-low']);
  if (pressure === 'critical') caps.push([[360, 15], 'hot']);
  if (pressure === 'serious') caps.push([[720, 30], 'warm']); // one rung below 1080p30
  if (limitation === 'cpu') {
    // Latched one rung below whatever the other signals already had it sending.
    const sending = caps.reduce<VideoCap>((c, [[h, f]]) => ({ height: Math.min(c.height, h), fps: Math.min(c.fps, f) }), P1080);
    const below = capOneBelow(sending);
    caps.push([[below.height, below.fps], 'cpu']);
  }
  if (caps.length === 0) return { cap: null, reasons: [] };
  const h = Math.min(...caps.map(([c]) => c[0]));
  const f = Math.min(...caps.map(([c]) => c[1]));
  return { cap: [h, f], reasons: caps.filter(([c]) => c[0] === h || c[1] === f).map(([, r]) => r) };
}

describe('power policy', () => {
  test('every battery x pressure x limitation combination caps at the strictest signal and names it', () => {
    for (const [batteryName, battery] of BATTERY) {
      for (const pressure of PRESSURE) {
        for (const limitation of LIMITATION) {
          const phone = new Phone();
          phone.battery = battery;
          phone.pressure = pressure;
          phone.limitation = limitation;
          // Three seconds: long enough for a cpu limitation to latch, too short for it to step twice.
          const d = phone.tick(T.cpuSamples);
          const want = expectedCap(battery, pressure, limitation);
          const label = `${batteryName} / ${pressure} / ${limitation}`;
          assert.deepEqual(d.cap && [d.cap.height, d.cap.fps], want.cap, label);
          if (want.cap === null) assert.equal(d.reason, null, label);
          else assert.ok(want.reasons.includes(d.reason!), `${label}: reason ${d.reason}, want one of ${want.reasons.join(',')}`);
          if (pressure === 'critical') assert.match(d.warning ?? '', /hot/, label);
          else if (battery && !battery.charging && battery.level <= 0.1) assert.match(d.warning ?? '', /plug in/, label);
          else if (pressure === 'serious') assert.match(d.warning ?? '', /warming/, label);
          else if (want.cap === null) assert.equal(d.warning, null, label);
        }
      }
    }
  });

  test('ties go to the more urgent reason', () => {
    const phone = new Phone();
    phone.battery = { level: 0.08, charging: false };
    phone.pressure = 'critical';
    assert.equal(phone.tick().reason, 'hot');
  });

  test('the power saver caps at 480p30, and a low battery beneath it takes the frame rate down too', () => {
    const phone = new Phone();
    phone.powerSaver = true;
    assert.deepEqual(phone.tick(), { cap: { height: 480, fps: 30 }, reason: 'power-saver', warning: null });
    phone.battery = { level: 0.18, charging: false };
    const d = phone.tick();
    assert.deepEqual(d.cap, { height: 480, fps: 24 });
    assert.equal(d.reason, 'battery-low');
    assert.match(d.warning ?? '', /Battery at 18%/);
  });

  test('plugging in lifts the battery cap', () => {
    const phone = new Phone();
    phone.battery = { level: 0.09, charging: false };
    assert.deepEqual(phone.tick().cap, { height: 360, fps: 15 });
    phone.battery = { level: 0.09, charging: true };
    assert.equal(phone.tick().cap, null);
  });

  test("'serious' pressure latches one rung below what was sent when it began, and releases when it eases", () => {
    const phone = new Phone();
    phone.sending = { height: 480, fps: 30 }; // bandwidth had it at 480p already
    phone.pressure = 'serious';
    const d = phone.tick(30);
    assert.deepEqual(d.cap, { height: 360, fps: 24 }, 'one rung down, not one rung a second');
    assert.equal(d.reason, 'warm');
    phone.pressure = 'fair';
    assert.equal(phone.tick().cap, null);
  });

  test('serious then critical then serious again goes 360p15 and back to the one-rung cap latched first', () => {
    const phone = new Phone();
    phone.pressure = 'serious';
    assert.deepEqual(phone.tick().cap, { height: 720, fps: 30 });
    phone.pressure = 'critical';
    assert.deepEqual(phone.tick().cap, { height: 360, fps: 15 });
    phone.pressure = 'serious';
    // Still latched from the first 'serious' (the phone has not cooled down in between).
    assert.deepEqual(phone.tick().cap, { height: 720, fps: 30 });
  });

  test("a persisting 'cpu' limitation steps down again after the settle time, and a quiet minute lifts it", () => {
    const phone = new Phone();
    phone.limitation = 'cpu';
    assert.deepEqual(phone.tick(T.cpuSamples).cap, { height: 720, fps: 30 });
    assert.deepEqual(phone.tick(T.cpuSettleMs / 1000 - 1).cap, { height: 720, fps: 30 });
    assert.deepEqual(phone.tick(2).cap, { height: 480, fps: 30 });
    phone.limitation = 'none';
    assert.deepEqual(phone.tick(T.cpuReleaseMs / 1000 - 5).cap, { height: 480, fps: 30 });
    assert.equal(phone.tick(10).cap, null);
  });

  test("a single 'cpu' sample is not enough", () => {
    const phone = new Phone();
    for (let i = 0; i < 20; i++) {
      phone.limitation = i % 2 === 0 ? 'cpu' : 'none';
      assert.equal(phone.tick().cap, null);
    }
  });
});
