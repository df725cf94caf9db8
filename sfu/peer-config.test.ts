import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { describe, test } from 'node:test';
import { buildPeerConfig, planNetwork } from './peer-config.ts';

describe('planNetwork', () => {
  test('a specific listen address is both bound and announced', () => {
    assert.deepEqual(planNetwork('127.0.0.1', undefined), { bindAddress: '127.0.0.1', candidateAddress: '127.0.0.1' });
  });

  test('announcedIp goes in the candidate while sockets bind the listen address', () => {
    assert.deepEqual(planNetwork('10.0.0.5', '203.0.113.7'), { bindAddress: '10.0.0.5', candidateAddress: '203.0.113.7' });
  });

  test('a wildcard listen address binds all and announces the first LAN IPv4 (or loopback)', () => {
    const lan = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    const plan = planNetwork('0.0.0.0', undefined);
    assert.equal(plan.bindAddress, undefined);
    assert.equal(plan.candidateAddress, lan ?? '127.0.0.1');
  });

  test('rejects addresses that are not IPv4', () => {
    assert.throws(() => planNetwork('localhost', undefined), TypeError);
    assert.throws(() => planNetwork('127.0.0.1', 'example.com'), TypeError);
  });
});

describe('buildPeerConfig', () => {
  test('uses no STUN server, one host address and the given port slice (pitfalls 2 and 3)', () => {
    const config = buildPeerConfig({
      role: 'publisher',
      network: { bindAddress: '127.0.0.1', candidateAddress: '127.0.0.1' },
      portRange: [40000, 40001],
      audio: undefined,
      video: undefined,
    });
    assert.deepEqual(config.iceServers, []);
    assert.deepEqual(config.iceAdditionalHostAddresses, ['127.0.0.1']);
    assert.deepEqual(config.icePortRange, [40000, 40001]);
    assert.equal(config.iceUseIpv6, false);
    const uris = [...(config.headerExtensions?.video ?? [])].map((e) => e.uri);
    assert.ok(uris.some((u) => u.includes('transport-wide-cc')), 'transport-wide sequence numbers on the publisher leg, for TransportCcFeedback');
  });
});
