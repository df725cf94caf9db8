import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ServiceUnavailableError } from '../signaling/errors.ts';
import { PortAllocator } from './PortAllocator.ts';

describe('PortAllocator', () => {
  test('hands out disjoint two-port slices inside the range', () => {
    const ports = new PortAllocator(40000, 40009);
    const slices = Array.from({ length: 5 }, () => ports.acquire());
    const sorted = [...slices].sort((a, b) => a[0] - b[0]);
    assert.deepEqual(sorted, [
      [40000, 40001],
      [40002, 40003],
      [40004, 40005],
      [40006, 40007],
      [40008, 40009],
    ]);
  });

  test('refuses with ServiceUnavailableError (503) when every slice is taken, and reuses released ones', () => {
    const ports = new PortAllocator(40000, 40003);
    const a = ports.acquire();
    ports.acquire();
    assert.throws(() => ports.acquire(), (err: unknown) => err instanceof ServiceUnavailableError && err.status === 503);
    ports.release(a);
    assert.deepEqual(ports.acquire(), a);
  });

  test('rotates instead of reusing the slice just released', () => {
    const ports = new PortAllocator(40000, 40009);
    const first = ports.acquire();
    ports.release(first);
    assert.notDeepEqual(ports.acquire(), first);
  });

  test('two allocators over one range do not always start on the same slice', () => {
    const starts = new Set(Array.from({ length: 20 }, () => new PortAllocator(40000, 40999).acquire()[0]));
    assert.ok(starts.size > 1, 'every allocator started at the same port: processes sharing a range would collide');
  });

  test('rejects a range too small or outside 1-65535', () => {
    assert.throws(() => new PortAllocator(40000, 40000), TypeError);
    assert.throws(() => new PortAllocator(0, 10), TypeError);
    assert.throws(() => new PortAllocator(65535, 65536), TypeError);
  });
});
