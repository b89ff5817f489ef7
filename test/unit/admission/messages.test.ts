import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import {
  conflictsAnnotation,
  denialMessage,
  fitWarning,
  MAX_NAMED_CONFLICTS,
  MAX_WARNING_LENGTH,
  oneLine,
  podName,
  portLabel,
  portPhrase,
  stricterNote,
  unreservedDenial,
  unreservedWarning,
  WARNING_HARD_LIMIT,
  warningText,
} from '../../../src/admission/messages.js';
import { cappedWarnings, MAX_MESSAGE_LENGTH, MAX_WARNINGS } from '../../../src/admission/messages.js';
import { isVisible } from '../../../src/admission/text.js';
import { conflictWarning, mirrorWarning, preemptWarning, spreadWarning, waitWarning } from '../../../src/admission/warnings.js';
import type { CollisionRule, PodConflict } from '../../../src/engine/conflicts.js';
import { conflict, controlCharsIn, reservedConflict as reserved } from '../../fixtures/conflicts.js';
import { hostPort, occupant, ref } from '../../fixtures/pods.js';

/** Text with every kind of character, control characters included. */
const anyText = fc.string({ unit: 'binary-ascii', maxLength: 80 });


/** Every warning that names a pod holder, built from one conflict: each must show outside text visibly. */
function everyWarningOf(c: PodConflict): string[] {
  const holders = [{ node: c.node, holder: c.holder, container: c.held.container }];
  return [
    waitWarning(true, c),
    preemptWarning(false, c, 1, 2),
    mirrorWarning(true, c),
    ...(['taken', 'lower-priority', 'freeing'] as const).map((spread) =>
      spreadWarning({ spread, hostNetwork: true, port: c.port, nodes: 1, holders, holderCount: 1, candidates: 3, daemonSet: false, stricter: false }),
    ),
  ];
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

  it('shows a generateName prefix as such, never with an invented suffix', () => {
    expect(podName({ namespace: 'ingress', name: 'ingress-nginx-controller-', generated: true })).toBe('ingress/ingress-nginx-controller-* (generated)');
  });
});

describe('portPhrase', () => {
  it.each([
    [true, 'hostNetwork port 8080/TCP'],
    [false, 'hostPort 8080/TCP'],
  ])('says hostNetwork=%s as %j, like denials', (hostNetwork, want) => {
    expect(portPhrase(hostNetwork, hostPort())).toBe(want);
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

describe('oneLine, fitWarning and warningText', () => {
  it('shows newlines, tabs and other control characters as escapes', () => {
    expect(oneLine('a\nb\tc\rd\u0000e\u007ff\u0085g')).toBe('a\\u000ab\\u0009c\\u000dd\\u0000e\\u007ff\\u0085g');
    expect(controlCharsIn('a\nb\tc\rd\u0000e\u007ff\u0085g')).toHaveLength(6);
  });

  it('keeps a warning of exactly the aim as it is', () => {
    const text = 'x'.repeat(MAX_WARNING_LENGTH);
    expect(warningText(text)).toBe(text);
  });

  it('takes the first way of saying it that fits the aim, the most detailed first', () => {
    const long = 'y'.repeat(MAX_WARNING_LENGTH + 1);
    expect(fitWarning([long, 'short and whole', 'shorter'])).toBe('short and whole');
  });

  it('keeps the tail and counts it against the aim', () => {
    const almost = 'x'.repeat(MAX_WARNING_LENGTH - 5);
    expect(fitWarning([almost, 'brief'], ' [tag]')).toBe('brief [tag]');
  });

  it('keeps the shortest whole when none fits the aim but it fits what the API server keeps', () => {
    const names = 'n'.repeat(200);
    expect(fitWarning([`${names} with details`, names])).toBe(names);
  });

  it('cuts only what the API server would cut, ending in ... and keeping the tail', () => {
    const cut = warningText('x'.repeat(WARNING_HARD_LIMIT + 10), ' [tag]');
    expect(cut).toHaveLength(WARNING_HARD_LIMIT);
    expect(cut.endsWith('x... [tag]')).toBe(true);
  });

  it('never splits a character made of two UTF-16 units', () => {
    const cut = warningText('x'.repeat(WARNING_HARD_LIMIT - 4) + '\u{1F600}'.repeat(10));
    expect(cut.length).toBeLessThanOrEqual(WARNING_HARD_LIMIT);
    // A lone high surrogate right before the ... would be a broken character.
    expect(/[\uD800-\uDBFF]\.\.\.$/.test(cut)).toBe(false);
  });

  it('aims below the 120 characters kubectl prints well, and stays within the 256 the API server keeps', () => {
    expect(MAX_WARNING_LENGTH).toBeLessThan(120);
    expect(WARNING_HARD_LIMIT).toBe(256);
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

describe('unreservedDenial and unreservedWarning', () => {
  const twoPorts = occupant({ hostNetwork: false, ports: [hostPort({ port: 80 }), hostPort({ port: 443 }), hostPort({ port: 443, container: 'sidecar' })] });

  it('names each port once, the node, and why', () => {
    expect(unreservedDenial(occupant(), 'no answer within 2000 ms')).toBe(
      "could not reserve hostNetwork port 8080/TCP on node worker-1 across the webhook's replicas (no answer within 2000 ms); try again",
    );
    expect(unreservedDenial(twoPorts, 'HTTP 429')).toBe(
      "could not reserve hostPorts 80/TCP, 443/TCP on node worker-1 across the webhook's replicas (HTTP 429); try again",
    );
  });

  it('warns in one short line', () => {
    expect(unreservedWarning(twoPorts)).toBe('ports 80/TCP, 443/TCP on node worker-1 are reserved in one webhook replica only: the API server did not take it');
    const many = occupant({ node: 'ip-10-0-0-1.eu-west-1.compute.internal', ports: [80, 443, 8080, 8443].map((port) => hostPort({ port })) });
    // Longer than MAX_WARNING_LENGTH, but whole: the API server keeps up to WARNING_HARD_LIMIT.
    expect(unreservedWarning(many)).toBe(
      'ports 80/TCP, 443/TCP, 8080/TCP, 8443/TCP on node ip-10-0-0-1.eu-west-1.compute.internal are reserved in one webhook replica only: the API server did not take it',
    );
    const huge = occupant({ node: `node-${'x'.repeat(250)}` });
    expect(unreservedWarning(huge)).toHaveLength(WARNING_HARD_LIMIT);
    expect(unreservedWarning(huge).endsWith('...')).toBe(true);
  });
});

/** Lone surrogates: halves of a pair, which no terminal or JSON consumer can show. */
function loneSurrogates(text: string): number {
  return text.match(/\p{Cs}/gu)?.length ?? 0;
}

describe('what reaches kubectl and the audit log', () => {
  it('cuts a long warning without splitting a surrogate pair', () => {
    // An emoji (a surrogate pair) across the cut: the old cut kept only its first half.
    for (let shift = 0; shift < 4; shift++) {
      const text = warningText(`${'x'.repeat(WARNING_HARD_LIMIT - 4 + shift)}\u{1F600}${'y'.repeat(20)}`);
      expect(text.length).toBeLessThanOrEqual(WARNING_HARD_LIMIT);
      expect(loneSurrogates(text)).toBe(0);
    }
  });

  it.each([
    ['a right-to-left override', '\u202e', '\\u202e'],
    ['a left-to-right isolate', '\u2066', '\\u2066'],
    ['a zero-width space', '\u200b', '\\u200b'],
    ['a zero-width joiner', '\u200d', '\\u200d'],
    ['a byte order mark', '\ufeff', '\\ufeff'],
    ['a line separator', '\u2028', '\\u2028'],
    ['a paragraph separator', '\u2029', '\\u2029'],
    ['a lone surrogate', '\ud83d', '\\ud83d'],
    ['an 8-bit CSI', '\u009b', '\\u009b'],
    ['a tag character, as its surrogate pair', '\u{e0041}', '\\udb40\\udc41'],
  ])('shows %s in a name as an escape in denials, warnings and annotations', (_name, ch, escapes) => {
    const c = conflict({ holder: { namespace: 'team-a', name: `api${ch}1` }, held: hostPort({ container: `web${ch}` }) });
    for (const text of [denialMessage(true, [c]), conflictWarning(true, c), conflictsAnnotation([c]), ...everyWarningOf(c)]) {
      expect(isVisible(text)).toBe(true);
      expect(text).toContain(`api${escapes}1`);
    }
  });

  it('keeps an emoji in a name as it is in denials, warnings and annotations', () => {
    const c = conflict({ holder: { namespace: 'team-a', name: 'api\u{1F600}\ud800\u{e0041}1' } });
    for (const text of [denialMessage(true, [c]), conflictWarning(true, c), conflictsAnnotation([c]), ...everyWarningOf(c)]) {
      expect(text).toContain('api\u{1F600}\\ud800\\udb40\\udc411');
    }
  });

  it('keeps a denial built from a 4 KB hostIP within the limit', () => {
    const ip = `10.0.0.${'1'.repeat(4096)}`;
    const c = conflict({ port: hostPort({ hostIP: ip }), held: hostPort({ hostIP: ip }), rule: 'same-ip' });
    const text = denialMessage(true, [c]);
    expect(text.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
    expect(text).toMatch(/; pick another port or node$/);
  });

  it('names as many 5,000-character holders as fit, and says how many more there are', () => {
    const long = 'n'.repeat(5000);
    const conflicts = Array.from({ length: 5 }, (_, i) => conflict({ port: hostPort({ port: 8000 + i }), holder: { namespace: long, name: `${long}${i}` } }));
    const text = denialMessage(true, conflicts);
    expect(text.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
    const named = text.match(/ by pod /g)?.length ?? 0;
    expect(named).toBeGreaterThan(0);
    expect(text).toMatch(new RegExp(`, and ${5 - named} more; pick other ports or another node$`));
  });

  it('keeps the conflicts annotation within the limit, saying how many more there are', () => {
    const long = 'n'.repeat(5000);
    const conflicts = Array.from({ length: 20 }, (_, i) => conflict({ holder: { namespace: long, name: `${long}${i}` } }));
    const text = conflictsAnnotation(conflicts, 25);
    expect(text.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
    const listed = text.split('; ').length - 1;
    expect(text).toMatch(new RegExp(`; and ${25 - listed} more$`));
  });

  it(`says how many more there are past ${MAX_WARNINGS} warnings`, () => {
    const warnings = Array.from({ length: 30 }, (_, i) => `w${i}`);
    expect(cappedWarnings(warnings.slice(0, MAX_WARNINGS), 30, 'conflicts')).toEqual([...warnings.slice(0, MAX_WARNINGS - 1), `and ${30 - MAX_WARNINGS + 1} more conflicts`]);
    expect(cappedWarnings(warnings.slice(0, MAX_WARNINGS), MAX_WARNINGS, 'conflicts')).toEqual(warnings.slice(0, MAX_WARNINGS));
  });

  it('never passes on an invisible character or a lone surrogate, whatever the names hold', () => {
    const anyUnicode = fc.string({ unit: 'binary', maxLength: 60 });
    fc.assert(
      fc.property(anyUnicode, anyUnicode, anyUnicode, anyUnicode, (namespace, name, node, ip) => {
        const c = conflict({ node, holder: { namespace, name }, port: hostPort({ hostIP: ip }), held: hostPort({ hostIP: ip }), rule: 'same-ip' });
        for (const text of [denialMessage(true, [c, c]), conflictWarning(true, c), conflictsAnnotation([c]), ...everyWarningOf(c)]) {
          expect(isVisible(text)).toBe(true);
        }
      }),
    );
  });
});
