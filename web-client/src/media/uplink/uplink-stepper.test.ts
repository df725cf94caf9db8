import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_STEPPER_TUNING as T, initialStepperState, restartStepper, stepUplink, type StepperLadder, type StepperState, type UplinkSample } from './uplink-stepper.ts';

// Needs of a 1080p camera's rungs, bits/s.
const LADDER: StepperLadder = { top: 0, needs: [2_500_000, 1_500_000, 800_000, 450_000, 250_000] };

/** Drives the stepper with one sample per second of a fake clock. */
class Drive {
  state: StepperState;
  now = 0;
  readonly indexes: number[] = [];
  constructor(index = 0, readonly ladder: StepperLadder = LADDER) {
    this.state = initialStepperState(index);
  }
  /** `seconds` samples, one a second. */
  run(seconds: number, sample: Partial<Omit<UplinkSample, 'nowMs'>>): this {
    for (let i = 0; i < seconds; i++) {
      this.state = stepUplink(this.state, { limitation: 'none', availableBps: null, sentBps: null, rttMs: 50, lossFraction: 0, ...sample, nowMs: this.now }, this.ladder);
      this.indexes.push(this.state.index);
      this.now += 1000;
    }
    return this;
  }
  /** Number of rung changes seen so far. */
  get switches(): number {
    return this.indexes.filter((v, i) => i > 0 && v !== this.indexes[i - 1]).length;
  }
}

const healthy = { limitation: 'none', availableBps: 5_000_000, sentBps: 2_400_000 } as const;

describe('uplink stepper', () => {
  test('stays on the top rung while the uplink is healthy', () => {
    const d = new Drive().run(60, healthy);
    assert.equal(d.state.index, 0);
    assert.equal(d.switches, 0);
    assert.equal(d.state.reason, null);
  });

  test('ignores bandwidth signals during the warm-up, while the estimate ramps', () => {
    const d = new Drive().run(T.warmupMs / 1000, { limitation: 'bandwidth', availableBps: 300_000, sentBps: 300_000 });
    assert.equal(d.state.index, 0);
    d.run(2, { limitation: 'bandwidth', availableBps: 300_000, sentBps: 300_000 });
    assert.ok(d.state.index > 0);
  });

  test("steps down one rung after two seconds of 'bandwidth' limitation", () => {
    const d = new Drive().run(10, healthy);
    d.run(1, { limitation: 'bandwidth', availableBps: 3_000_000, sentBps: 2_000_000 });
    assert.equal(d.state.index, 0);
    d.run(1, { limitation: 'bandwidth', availableBps: 3_000_000, sentBps: 2_000_000 });
    assert.equal(d.state.index, 1);
    assert.equal(d.state.reason, 'uplink');
  });

  test('jumps straight to the rung a low estimate can carry', () => {
    const d = new Drive().run(10, healthy).run(2, { availableBps: 600_000, sentBps: 580_000 });
    assert.equal(d.state.index, 3); // 450k fits 600k x 0.9, 800k does not
    assert.equal(d.state.reason, 'uplink');
  });

  test('an estimate below every rung lands on the last one', () => {
    const d = new Drive().run(10, healthy).run(2, { availableBps: 100_000, sentBps: 100_000 });
    assert.equal(d.state.index, 4);
  });

  test('a low estimate while the sender is application-limited is not a reason to step down', () => {
    // A still scene: sending 300k, Chromium estimates ~1.5x that. The link may be far faster.
    const d = new Drive().run(30, { availableBps: 460_000, sentBps: 300_000 });
    assert.equal(d.state.index, 0);
  });

  test('heavy loss or a long round trip steps down for the network, one rung at a time with a settle time', () => {
    const lossy = new Drive().run(10, healthy).run(2, { ...healthy, lossFraction: 0.15 });
    assert.equal(lossy.state.index, 1);
    assert.equal(lossy.state.reason, 'network');
    lossy.run(2, { ...healthy, lossFraction: 0.15 });
    assert.equal(lossy.state.index, 1, 'a second step waits for the settle time');
    lossy.run(1, { ...healthy, lossFraction: 0.15 });
    assert.equal(lossy.state.index, 2);
    const slow = new Drive().run(10, healthy).run(2, { ...healthy, rttMs: 900 });
    assert.equal(slow.state.index, 1);
  });

  test('steps up only after the way up stays clear for the hold time', () => {
    const d = new Drive().run(10, healthy).run(2, { availableBps: 1_000_000, sentBps: 950_000 });
    assert.equal(d.state.index, 2);
    // Estimate now above 720p's need x margin, sender using its budget: clear.
    const roomy = { availableBps: 1_800_000, sentBps: 1_400_000 } as const;
    d.run(T.upHoldMs / 1000, roomy);
    assert.equal(d.state.index, 2);
    d.run(1, roomy);
    assert.equal(d.state.index, 1);
    assert.equal(d.state.reason, 'uplink');
  });

  test('an estimate under the next rung need keeps it down while the sender uses its budget', () => {
    const d = new Drive().run(10, healthy).run(2, { availableBps: 1_000_000, sentBps: 950_000 });
    d.run(120, { availableBps: 1_100_000, sentBps: 900_000 });
    assert.equal(d.state.index, 2);
    assert.equal(d.switches, 1);
  });

  test('one noisy sample resets the hold', () => {
    const d = new Drive().run(10, healthy).run(2, { availableBps: 1_000_000, sentBps: 950_000 });
    const roomy = { availableBps: 1_800_000, sentBps: 1_400_000 } as const;
    d.run(T.upHoldMs / 1000 - 2, roomy).run(1, { ...roomy, lossFraction: 0.05 }).run(T.upHoldMs / 1000 - 1, roomy);
    assert.equal(d.state.index, 2);
    d.run(2, roomy);
    assert.equal(d.state.index, 1);
  });

  test('a failed probe doubles the hold, so a link at the edge of a rung never flaps', () => {
    // The link carries 1.2 Mbps: 480p30 (800k) fits, 720p30 (1.5M) does not. The sender at 480p is
    // application-limited (still scene), so the estimate cannot tell, and the stepper probes upward.
    const d = new Drive().run(10, healthy).run(2, { availableBps: 1_000_000, sentBps: 950_000 });
    assert.equal(d.state.index, 2);
    const holds: number[] = [];
    for (let t = 0; t < 600; t++) {
      const before = d.state.index;
      if (d.state.index === 2) d.run(1, { availableBps: 1_150_000, sentBps: 600_000 });
      else d.run(1, { limitation: 'bandwidth', availableBps: 1_200_000, sentBps: 1_150_000 });
      const after: number = d.state.index;
      if (before === 2 && after === 1) holds.push(d.state.upHoldMs);
    }
    // Ten minutes at the edge: a handful of probes, each hold at least double the previous one.
    assert.ok(holds.length >= 3 && holds.length <= 7, `probes: ${holds.length}`);
    for (let i = 1; i < holds.length; i++) assert.ok(holds[i]! >= Math.min(T.maxUpHoldMs, holds[i - 1]! * 2), `holds ${holds.join(' ')}`);
    assert.ok(d.switches <= 2 * holds.length + 1);
  });

  test('a step up that holds through the probe window resets the hold', () => {
    const d = new Drive().run(10, healthy).run(2, { availableBps: 1_000_000, sentBps: 950_000 });
    // Fail one probe to double the hold.
    d.run(T.upHoldMs / 1000 + 1, { availableBps: 1_150_000, sentBps: 600_000 });
    assert.equal(d.state.index, 1);
    d.run(2, { limitation: 'bandwidth', availableBps: 1_200_000, sentBps: 1_150_000 });
    assert.equal(d.state.index, 2);
    assert.equal(d.state.upHoldMs, T.upHoldMs * 2);
    d.run(T.upHoldMs / 500 + 1, { availableBps: 2_000_000, sentBps: 1_000_000 });
    assert.equal(d.state.index, 1);
    d.run(T.probeWindowMs / 1000, healthy);
    assert.equal(d.state.upHoldMs, T.upHoldMs);
  });

  test('climbs back to the top rung one rung per hold, and then names no reason', () => {
    const d = new Drive().run(10, healthy).run(2, { availableBps: 100_000, sentBps: 100_000 });
    assert.equal(d.state.index, 4);
    d.run(4 * (T.upHoldMs / 1000 + 1), healthy);
    assert.equal(d.state.index, 0);
    assert.equal(d.state.reason, null);
    assert.deepEqual(d.indexes.filter((v, i, a) => i === 0 || v !== a[i - 1]), [0, 4, 3, 2, 1, 0]);
  });

  test('under a power cap the uplink rung is kept, so lifting the cap returns to it at once', () => {
    const capped = new Drive(0, { ...LADDER, top: 2 }).run(60, { availableBps: 5e6, sentBps: 700_000 });
    assert.equal(capped.state.index, 0);
    assert.equal(capped.state.reason, null);
    assert.equal(capped.switches, 0);
  });

  test('congestion under a power cap steps down from the capped rung, not from the uplink rung', () => {
    const d = new Drive(0, { ...LADDER, top: 2 }).run(10, { availableBps: 5e6, sentBps: 700_000 });
    d.run(2, { limitation: 'bandwidth', availableBps: 900_000, sentBps: 800_000 });
    assert.equal(d.state.index, 3);
    assert.equal(d.state.reason, 'uplink');
  });

  test('without any estimate (browsers that do not report one) it follows the limitation alone', () => {
    const d = new Drive().run(10, { limitation: 'none' }).run(2, { limitation: 'bandwidth' });
    assert.equal(d.state.index, 1);
    d.run(T.upHoldMs / 1000 + 1, { limitation: 'none' });
    assert.equal(d.state.index, 0);
  });

  test('a restart keeps the rung and runs the warm-up again', () => {
    const d = new Drive().run(10, healthy).run(2, { availableBps: 600_000, sentBps: 580_000 });
    d.state = restartStepper(d.state);
    d.run(T.warmupMs / 1000, { limitation: 'bandwidth', availableBps: 300_000, sentBps: 300_000 });
    assert.equal(d.state.index, 3);
  });
});
