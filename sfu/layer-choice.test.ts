import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chooseLayer, INITIAL_LAYER_STATE, orderRids, pinnedIndex, type LayerChoiceState, type LayerInfo, type LayerPreference } from './layer-choice.ts';

const LAYERS: LayerInfo[] = [
  { rid: 'low', bitrateBps: 150_000, active: true },
  { rid: 'mid', bitrateBps: 500_000, active: true },
  { rid: 'high', bitrateBps: 1_500_000, active: true },
];

function choose(prev: LayerChoiceState, preference: LayerPreference, estimateBps: number | undefined, nowMs = 0, layers = LAYERS): LayerChoiceState {
  return chooseLayer(prev, { layers, preference, estimateBps, nowMs });
}

describe('chooseLayer', () => {
  test('a pinned viewer gets its layer whatever the estimate', () => {
    assert.equal(choose(INITIAL_LAYER_STATE, 'high', 100_000).rid, 'high');
    assert.equal(choose(INITIAL_LAYER_STATE, 'mid', 10_000_000).rid, 'mid');
    assert.equal(choose(INITIAL_LAYER_STATE, 'low', 10_000_000).rid, 'low');
  });

  test('a pinned layer that stopped falls back to the nearest lower one, else the lowest active', () => {
    const noHigh = LAYERS.map((l) => (l.rid === 'high' ? { ...l, active: false } : l));
    assert.equal(choose(INITIAL_LAYER_STATE, 'high', undefined, 0, noHigh).rid, 'mid');
    const onlyHigh = LAYERS.map((l) => (l.rid === 'high' ? l : { ...l, active: false }));
    assert.equal(choose(INITIAL_LAYER_STATE, 'low', undefined, 0, onlyHigh).rid, 'high');
  });

  test('auto starts with the highest layer that fits the estimate with headroom', () => {
    assert.equal(choose(INITIAL_LAYER_STATE, 'auto', 2_000_000).rid, 'high');
    assert.equal(choose(INITIAL_LAYER_STATE, 'auto', 1_000_000).rid, 'mid');
    assert.equal(choose(INITIAL_LAYER_STATE, 'auto', 100_000).rid, 'low', 'the lowest layer even when nothing fits');
  });

  test('auto downgrades at once when the current layer no longer fits', () => {
    const state = choose({ rid: 'high', upgrade: undefined }, 'auto', 1_200_000);
    assert.equal(state.rid, 'mid');
  });

  test('auto upgrades only after the headroom lasted the hold time', () => {
    let state: LayerChoiceState = { rid: 'mid', upgrade: undefined };
    state = choose(state, 'auto', 2_000_000, 0);
    assert.equal(state.rid, 'mid');
    state = choose(state, 'auto', 2_000_000, 1000);
    assert.equal(state.rid, 'mid');
    state = choose(state, 'auto', 2_000_000, 2000);
    assert.equal(state.rid, 'high');
  });

  test('an estimate hovering around a threshold does not make the viewer flap', () => {
    let state: LayerChoiceState = { rid: 'mid', upgrade: undefined };
    const rids: string[] = [];
    for (let t = 0; t < 20_000; t += 1000) {
      // Alternates just above the upgrade threshold and just below it.
      state = choose(state, 'auto', t % 2000 === 0 ? 1_900_000 : 1_700_000, t);
      rids.push(state.rid!);
    }
    assert.ok(rids.every((r) => r === 'mid'), rids.join(','));
  });

  test('layers without a measured bitrate use nominal values', () => {
    const unmeasured = LAYERS.map((l) => ({ ...l, bitrateBps: 0 }));
    assert.equal(choose(INITIAL_LAYER_STATE, 'auto', undefined, 0, unmeasured).rid, 'mid', 'unknown estimate: 1.5 Mbps assumed');
  });

  test('with a single layer the answer is that layer; with none nothing', () => {
    assert.equal(choose(INITIAL_LAYER_STATE, 'high', undefined, 0, [LAYERS[0]!]).rid, 'low');
    assert.equal(choose(INITIAL_LAYER_STATE, 'auto', undefined, 0, []).rid, null);
  });

  test('when no layer flows the current choice is kept', () => {
    const stopped = LAYERS.map((l) => ({ ...l, active: false }));
    assert.equal(choose({ rid: 'mid', upgrade: undefined }, 'auto', 100_000, 0, stopped).rid, 'mid');
  });
});

describe('pinnedIndex', () => {
  test('maps high/mid/low onto 1, 2 or 3 layers', () => {
    assert.deepEqual([pinnedIndex('low', 3), pinnedIndex('mid', 3), pinnedIndex('high', 3)], [0, 1, 2]);
    assert.deepEqual([pinnedIndex('low', 2), pinnedIndex('mid', 2), pinnedIndex('high', 2)], [0, 0, 1]);
    assert.deepEqual([pinnedIndex('low', 1), pinnedIndex('high', 1)], [0, 0]);
  });
});

describe('orderRids', () => {
  test('orders known rid names lowest quality first', () => {
    assert.deepEqual(orderRids(['high', 'low', 'mid']), ['low', 'mid', 'high']);
    assert.deepEqual(orderRids(['f', 'h', 'q']), ['q', 'h', 'f']);
    assert.deepEqual(orderRids(['r2', 'r0', 'r1']), ['r0', 'r1', 'r2']);
  });

  test('keeps the offer order for unknown names', () => {
    assert.deepEqual(orderRids(['a', 'c', 'b']), ['a', 'c', 'b']);
  });
});
