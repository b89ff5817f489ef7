import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import {
  conflictsAnnotation,
  conflictWarning,
  denialMessage,
  freeingWarning,
  MAX_NAMED_CONFLICTS,
  MAX_NAMED_NODES,
  MAX_WARNING_LENGTH,
  maxSurgeWarning,
  mirrorWarning,
  oneLine,
  podName,
  portLabel,
  spreadWarning,
  stricterNote,
  SURGE_WARNING,
  undeclaredWarning,
  reservedWarning,
  waitWarning,
  warningText,
} from '../../../src/admission/messages.js';
import type { CollisionRule, PodConflict, ReservedConflict } from '../../../src/engine/conflicts.js';
import { hostPort, ref } from '../../fixtures/pods.js';

/** C0 and C1 control characters, which the API server drops warnings for. */
function controlCharsIn(text: string): string[] {
  const found: string[] = [];
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) found.push(text.charAt(i));
  }
  return found;
}

/** A conflict of an incoming 10250/TCP with the kubelet's reserved port, the pod's node not known. */
function reserved(overrides: Partial<ReservedConflict> = {}): ReservedConflict {
  return {
    kind: 'reserved',
    node: null,
    port: hostPort({ port: 10250, container: 'proxy' }),
    held: { owner: 'kubelet', protocol: 'TCP', port: 10250 },
    rule: 'ipv4-wildcard',
    ...overrides,
  };
}

/** Text with every kind of character, control characters included. */
const anyText = fc.string({ unit: 'binary-ascii', maxLength: 80 });

/** A conflict on worker-1: the incoming 8080/TCP of `proxy` against team-a/api-7d9f's `web`. */
function conflict(overrides: Partial<PodConflict> = {}): PodConflict {
  return {
    kind: 'pod',
    node: 'worker-1',
    port: hostPort({ container: 'proxy' }),
    held: hostPort(),
    holder: ref('team-a/api-7d9f'),
    holderTerminating: false,
    rule: 'ipv4-wildcard',
    ...overrides,
  };
}

describe('portLabel', () => {
  it.each([
    { name: 'leaves out 0.0.0.0', hostIP: '0.0.0.0', want: '8080/TCP' },
    { name: 'leaves out an empty hostIP', hostIP: '', want: '8080/TCP' },
    { name: 'puts an IPv4 address before the port', hostIP: '10.0.0.1', want: '10.0.0.1:8080/TCP' },
    { name: 'brackets an IPv6 address', hostIP: 'fd00::1', want: '[fd00::1]:8080/TCP' },
    { name: 'brackets ::, which is not the IPv4 wildcard', hostIP: '::', want: '[::]:8080/TCP' },
    { name: 'brackets an IPv4-mapped address as written', hostIP: '::ffff:10.0.0.1', want: '[::ffff:10.0.0.1]:8080/TCP' },
  ])('$name', ({ hostIP, want }) => {
    expect(portLabel({ protocol: 'TCP', hostIP, port: 8080 })).toBe(want);
  });

  it('names the protocol as given', () => {
    expect(portLabel({ protocol: 'SCTP', hostIP: '10.0.0.1', port: 3868 })).toBe('10.0.0.1:3868/SCTP');
  });
});

describe('podName', () => {
  it('joins namespace and name', () => {
    expect(podName(ref('team-a/api-7d9f'))).toBe('team-a/api-7d9f');
  });
});

describe('stricterNote', () => {
  it.each([
    ['same-ip', ''],
    ['ipv4-wildcard', ''],
    ['ipv6-wildcard', ' (stricter than the scheduler: on Linux [::] also takes the IPv4 port)'],
    ['same-ip-normalised', ' (stricter than the scheduler: both hostIPs are the same address)'],
  ] satisfies [CollisionRule, string][])('explains %s with %j', (rule, want) => {
    expect(stricterNote(rule)).toBe(want);
  });
});

describe('oneLine and warningText', () => {
  it('turns newlines, tabs and other control characters into spaces', () => {
    expect(oneLine('a\nb\tc\rd\u0000e\u007ff\u0085g')).toBe('a b c d e f g');
    expect(controlCharsIn('a\nb\tc\rd\u0000e\u007ff\u0085g')).toHaveLength(6);
  });

  it('keeps a warning of exactly the limit as it is', () => {
    const text = 'x'.repeat(MAX_WARNING_LENGTH);
    expect(warningText(text)).toBe(text);
  });

  it('cuts a longer warning to the limit, ending in ...', () => {
    const cut = warningText('x'.repeat(MAX_WARNING_LENGTH + 1));
    expect(cut).toHaveLength(MAX_WARNING_LENGTH);
    expect(cut.endsWith('x...')).toBe(true);
  });

  it('keeps the limit below the 120 characters kubectl prints well', () => {
    expect(MAX_WARNING_LENGTH).toBeLessThan(120);
  });
});

describe('denialMessage', () => {
  it('names the node, the port, the holder and its container for one conflict', () => {
    expect(denialMessage(true, [conflict()])).toBe(
      'hostNetwork port 8080/TCP on node worker-1 is already used by pod team-a/api-7d9f (container web); pick another port or node',
    );
  });

  it('says hostPort for a pod without hostNetwork', () => {
    expect(denialMessage(false, [conflict()])).toBe(
      'hostPort 8080/TCP on node worker-1 is already used by pod team-a/api-7d9f (container web); pick another port or node',
    );
  });

  it('names the held port when it is spelled differently, and a terminating holder', () => {
    const c = conflict({ held: hostPort({ hostIP: '10.0.0.1' }), holderTerminating: true });
    expect(denialMessage(true, [c])).toBe(
      'hostNetwork port 8080/TCP on node worker-1 is already used by pod team-a/api-7d9f (container web, on 10.0.0.1:8080/TCP, terminating); pick another port or node',
    );
  });

  it('names every holder of one port in the one-port form', () => {
    const conflicts = [conflict(), conflict({ holder: ref('team-b/web-3') })];
    expect(denialMessage(true, conflicts)).toBe(
      'hostNetwork port 8080/TCP on node worker-1 is already used by pod team-a/api-7d9f (container web)' +
        ' and pod team-b/web-3 (container web); pick another port or node',
    );
  });

  it('lists every conflict up to the limit', () => {
    const conflicts = Array.from({ length: MAX_NAMED_CONFLICTS }, (_, i) =>
      conflict({ port: hostPort({ port: 8000 + i }), held: hostPort({ port: 8000 + i }), holder: ref(`team-a/api-${i}`) }),
    );
    expect(denialMessage(false, conflicts)).toBe(
      'hostPorts on node worker-1 are already used: ' +
        '8000/TCP by pod team-a/api-0 (container web), 8001/TCP by pod team-a/api-1 (container web), ' +
        '8002/TCP by pod team-a/api-2 (container web), 8003/TCP by pod team-a/api-3 (container web), ' +
        '8004/TCP by pod team-a/api-4 (container web); pick other ports or another node',
    );
  });

  it('lists at most five conflicts, then counts the rest', () => {
    const conflicts = Array.from({ length: 7 }, (_, i) =>
      conflict({ port: hostPort({ port: 8000 + i }), held: hostPort({ port: 8000 + i }), holder: ref(`team-a/api-${i}`) }),
    );
    expect(denialMessage(true, conflicts)).toBe(
      'hostNetwork ports on node worker-1 are already used: ' +
        '8000/TCP by pod team-a/api-0 (container web), 8001/TCP by pod team-a/api-1 (container web), ' +
        '8002/TCP by pod team-a/api-2 (container web), 8003/TCP by pod team-a/api-3 (container web), ' +
        '8004/TCP by pod team-a/api-4 (container web), and 2 more; pick other ports or another node',
    );
  });

  it('adds the stricter-than-scheduler reason to each listed conflict that needs it', () => {
    const conflicts = [
      conflict({ port: hostPort({ hostIP: '::' }), held: hostPort({ hostIP: '10.0.0.1' }), rule: 'ipv6-wildcard' }),
      conflict({ port: hostPort({ port: 9090 }), held: hostPort({ port: 9090 }), holder: ref('team-a/metrics-1') }),
    ];
    expect(denialMessage(false, conflicts)).toBe(
      'hostPorts on node worker-1 are already used: [::]:8080/TCP by pod team-a/api-7d9f (container web, on 10.0.0.1:8080/TCP)' +
        ' (stricter than the scheduler: on Linux [::] also takes the IPv4 port), 9090/TCP by pod team-a/metrics-1 (container web);' +
        ' pick other ports or another node',
    );
  });

  it('says nothing for no conflicts', () => {
    expect(denialMessage(true, [])).toBe('');
  });

  it('never carries a control character, whatever the names hold', () => {
    fc.assert(
      fc.property(anyText, anyText, anyText, (namespace, name, containerName) => {
        const c = conflict({ holder: { namespace, name }, held: hostPort({ container: containerName }) });
        expect(controlCharsIn(denialMessage(true, [c, c]))).toEqual([]);
        expect(controlCharsIn(denialMessage(false, [c]))).toEqual([]);
      }),
    );
  });
});

describe('conflictWarning', () => {
  it('names the port, the node and the holder', () => {
    expect(conflictWarning(conflict())).toBe('port 8080/TCP on node worker-1 is used by pod team-a/api-7d9f (container web)');
  });

  it('brackets an IPv6 port', () => {
    const c = conflict({ port: hostPort({ hostIP: 'fd00::1' }), held: hostPort({ hostIP: 'fd00::1' }), rule: 'same-ip' });
    expect(conflictWarning(c)).toBe('port [fd00::1]:8080/TCP on node worker-1 is used by pod team-a/api-7d9f (container web)');
  });
});

describe('spreadWarning', () => {
  const port = hostPort();
  const consequence = 'pods needing it cannot run there';

  it('names every node up to three, out of the cluster size', () => {
    expect(spreadWarning(port, ['worker-1', 'worker-2', 'worker-3'], 5, consequence)).toBe(
      'port 8080/TCP is already used on 3 of 5 nodes (worker-1, worker-2, worker-3); pods needing it cannot run there',
    );
  });

  it('names three nodes and hints at the rest', () => {
    expect(spreadWarning(port, ['a', 'b', 'c', 'd'], 4, consequence)).toBe(
      'port 8080/TCP is already used on 4 of 4 nodes (a, b, c, ...); pods needing it cannot run there',
    );
    expect(MAX_NAMED_NODES).toBe(3);
  });

  it('leaves out the cluster size when it is not known to be larger', () => {
    expect(spreadWarning(port, ['worker-1', 'worker-2'], 1, consequence)).toBe(
      'port 8080/TCP is already used on 2 nodes (worker-1, worker-2); pods needing it cannot run there',
    );
  });
});

describe('warnings', () => {
  const longText = fc.oneof(fc.string({ unit: 'binary-ascii', maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }));
  const anyRule = fc.constantFrom<CollisionRule>('same-ip', 'ipv4-wildcard', 'ipv6-wildcard', 'same-ip-normalised');

  it('never exceed the limit nor carry a control character, whatever the names', () => {
    fc.assert(
      fc.property(longText, longText, longText, longText, fc.boolean(), anyRule, (namespace, name, node, containerName, terminating, rule) => {
        const c = conflict({
          node,
          holder: { namespace, name },
          held: hostPort({ container: containerName, hostIP: 'fd00::1' }),
          holderTerminating: terminating,
          rule,
        });
        const text = conflictWarning(c);
        expect(text.length).toBeLessThanOrEqual(MAX_WARNING_LENGTH);
        expect(controlCharsIn(text)).toEqual([]);
      }),
    );
  });

  it('about spread ports never exceed the limit nor carry a control character', () => {
    fc.assert(
      fc.property(fc.array(longText, { minLength: 1, maxLength: 8 }), fc.nat(10_000), longText, (nodes, count, consequence) => {
        for (const text of [
          spreadWarning(hostPort({ hostIP: 'fd00:0:0:0:0:0:0:1' }), nodes, count, consequence),
          freeingWarning(hostPort({ hostIP: 'fd00:0:0:0:0:0:0:1' }), nodes, count, consequence, true),
        ]) {
          expect(text.length).toBeLessThanOrEqual(MAX_WARNING_LENGTH);
          expect(controlCharsIn(text)).toEqual([]);
        }
      }),
    );
  });

  it("about waits, mirrors, node daemons and surges never exceed the limit nor carry a control character", () => {
    fc.assert(
      fc.property(longText, longText, longText, longText, longText, (namespace, name, node, containerName, owner) => {
        const onPod = conflict({ node, holder: { namespace, name }, held: hostPort({ container: containerName }), holderTerminating: true });
        const onDaemon = reserved({ node, held: { owner, protocol: 'TCP', hostIP: '127.0.0.1', port: 10248 } });
        for (const text of [waitWarning(onPod), mirrorWarning(onPod), mirrorWarning(onDaemon), reservedWarning(onDaemon), maxSurgeWarning(owner), SURGE_WARNING]) {
          expect(text.length).toBeLessThanOrEqual(MAX_WARNING_LENGTH);
          expect(controlCharsIn(text)).toEqual([]);
        }
      }),
    );
  });

  it('say the undeclared-ports advice within the limit, for pods and for workloads', () => {
    for (const workload of [false, true]) {
      expect(undeclaredWarning(workload).length).toBeLessThanOrEqual(MAX_WARNING_LENGTH);
      expect(undeclaredWarning(workload)).toContain('declare containers[].ports');
    }
  });

  it('keep a Kubernetes-sized name whole when it fits', () => {
    // Pod names are DNS subdomains; a 40-character name still fits with room to spare.
    const name = `api-${'a'.repeat(36)}`;
    const text = conflictWarning(conflict({ holder: ref(`team-a/${name}`) }));
    expect(text).toBe(`port 8080/TCP on node worker-1 is used by pod team-a/${name} (container web)`);
  });
});

describe('conflictsAnnotation', () => {
  it('lists node, port and holder/container of each conflict', () => {
    const conflicts = [conflict(), conflict({ node: 'worker-2', port: hostPort({ port: 9090, hostIP: 'fd00::1' }), holder: ref('team-b/metrics-1') })];
    expect(conflictsAnnotation(conflicts)).toBe('worker-1 8080/TCP team-a/api-7d9f/web; worker-2 [fd00::1]:9090/TCP team-b/metrics-1/web');
  });

  it('stays on one line', () => {
    expect(controlCharsIn(conflictsAnnotation([conflict({ holder: { namespace: 'a\nb', name: 'c\td' } })]))).toEqual([]);
  });

  it("names a node daemon's port as reserved, on every node when the pod's node is not known", () => {
    expect(conflictsAnnotation([reserved(), reserved({ node: 'worker-2' })])).toBe('every-node 10250/TCP reserved/kubelet; worker-2 10250/TCP reserved/kubelet');
  });
});
