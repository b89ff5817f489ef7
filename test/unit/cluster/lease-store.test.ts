import { describe, expect, it } from '@jest/globals';
import { decodePortLease, leaseName } from '../../../src/cluster/lease-store.js';

describe('leaseName', () => {
  it('names the Lease of a port after its protocol, number and node', () => {
    expect(leaseName('worker-1', 'TCP', 8080)).toBe('hpg.tcp-8080.worker-1');
    expect(leaseName('ip-10-0-0-1.ec2.internal', 'UDP', 53)).toBe('hpg.udp-53.ip-10-0-0-1.ec2.internal');
  });

  it('hashes a node name that would make the name too long, keeping it unique', () => {
    const long = `${'a'.repeat(240)}.example`;
    const name = leaseName(long, 'TCP', 8080);
    expect(name).toMatch(/^hpg\.tcp-8080\.node-[0-9a-f]{40}$/);
    expect(leaseName(`${long}x`, 'TCP', 8080)).not.toBe(name);
  });

  it('hashes a node name that is not a DNS subdomain', () => {
    expect(leaseName('Worker_1', 'TCP', 80)).toMatch(/^hpg\.tcp-80\.node-[0-9a-f]{40}$/);
  });
});

describe('decodePortLease', () => {
  const holder = { namespace: 'team-a', name: 'web', uid: 'u1', hostNetwork: true, container: 'web', hostIP: '', expiresAt: 1 };
  const lease = { node: 'worker-1', protocol: 'TCP', port: 8080, holders: [holder] };

  it('reads what this code writes', () => {
    expect(decodePortLease(JSON.stringify(lease))).toEqual(lease);
  });

  const broken: [string, string | undefined][] = [
    ['no annotation', undefined],
    ['text that is not JSON', '{"node":'],
    ['a port out of range', JSON.stringify({ ...lease, port: 70000 })],
    ['a holder without an expiry', JSON.stringify({ ...lease, holders: [{ ...holder, expiresAt: undefined }] })],
    ['holders that are not a list', JSON.stringify({ ...lease, holders: {} })],
  ];
  it.each(broken)('reads nothing from %s', (_name, text) => {
    expect(decodePortLease(text)).toBeUndefined();
  });
});
