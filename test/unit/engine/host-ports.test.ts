import { describe, expect, it } from '@jest/globals';

import type { DuplicateHostPort } from '../../../src/engine/host-ports.js';
import { DEFAULT_PROTOCOL, duplicateHostPorts, hostPortsOf, runningContainers } from '../../../src/engine/host-ports.js';
import { IPV4_ANY } from '../../../src/engine/ip.js';
import type { HostPort, PodSpecLike } from '../../../src/engine/types.js';
import { container, hostPort, portSpec, sidecar } from '../../fixtures/pods.js';

interface Row {
  readonly name: string;
  readonly spec: PodSpecLike;
  readonly want: readonly HostPort[];
}

const rows: readonly Row[] = [
  // Defaults
  {
    name: 'defaults an absent protocol to TCP and an absent hostIP to 0.0.0.0',
    spec: { containers: [container('web', [{ containerPort: 80, hostPort: 8080 }])] },
    want: [hostPort({ port: 8080 })],
  },
  {
    name: 'defaults an empty protocol to TCP and an empty hostIP to 0.0.0.0',
    spec: { containers: [container('web', [portSpec(8080, { protocol: '', hostIP: '' })])] },
    want: [hostPort({ port: 8080 })],
  },
  {
    name: 'keeps a declared protocol and hostIP',
    spec: { containers: [container('dns', [portSpec(53, { protocol: 'UDP', hostIP: '10.0.0.1' })])] },
    want: [hostPort({ protocol: 'UDP', hostIP: '10.0.0.1', port: 53, container: 'dns' })],
  },
  {
    name: 'keeps SCTP and an IPv6 hostIP as written',
    spec: { containers: [container('sig', [portSpec(3868, { protocol: 'SCTP', hostIP: 'FD00::1' })])] },
    want: [hostPort({ protocol: 'SCTP', hostIP: 'FD00::1', port: 3868, container: 'sig' })],
  },

  // hostNetwork
  {
    name: 'takes the containerPort of a hostNetwork template whose hostPort is 0',
    spec: { hostNetwork: true, containers: [container('web', [{ containerPort: 8080, hostPort: 0 }])] },
    want: [hostPort({ port: 8080 })],
  },
  {
    name: 'takes the containerPort of a hostNetwork template whose hostPort is absent',
    spec: { hostNetwork: true, containers: [container('web', [{ containerPort: 9100, protocol: 'UDP' }])] },
    want: [hostPort({ port: 9100, protocol: 'UDP' })],
  },
  {
    name: 'takes the containerPort of a hostNetwork sidecar whose hostPort is absent',
    spec: { hostNetwork: true, containers: [], initContainers: [container('proxy', [{ containerPort: 15001 }], { restartPolicy: 'Always' })] },
    want: [hostPort({ port: 15001, container: 'proxy' })],
  },
  {
    name: 'keeps the hostPort a hostNetwork pod already has',
    spec: { hostNetwork: true, containers: [container('web', [portSpec(8080)])] },
    want: [hostPort({ port: 8080 })],
  },
  {
    name: 'keeps nothing for a hostNetwork port with a negative hostPort',
    spec: { hostNetwork: true, containers: [container('web', [{ containerPort: 8080, hostPort: -1 }])] },
    want: [],
  },

  // hostPort pods without hostNetwork
  {
    name: 'keeps the hostPort of a pod without hostNetwork',
    spec: { containers: [container('web', [{ containerPort: 80, hostPort: 8080 }])] },
    want: [hostPort({ port: 8080 })],
  },
  {
    name: 'keeps nothing for a port without a hostPort on a pod without hostNetwork',
    spec: { containers: [container('web', [{ containerPort: 80 }])] },
    want: [],
  },
  {
    name: 'keeps nothing for hostPort 0 on a pod without hostNetwork',
    spec: { hostNetwork: false, containers: [container('web', [{ containerPort: 80, hostPort: 0 }])] },
    want: [],
  },
  {
    name: 'keeps nothing for a negative hostPort',
    spec: { containers: [container('web', [{ containerPort: 80, hostPort: -1 }])] },
    want: [],
  },
  {
    name: 'keeps nothing for a container without ports',
    spec: { containers: [container('web', [])] },
    want: [],
  },
  {
    name: 'keeps nothing for a container whose ports are absent',
    spec: { containers: [{ name: 'web' }] },
    want: [],
  },

  // Which containers count
  {
    name: 'counts the ports of a sidecar (init container with restartPolicy Always)',
    spec: { containers: [container('web')], initContainers: [sidecar('proxy', [portSpec(15001)])] },
    want: [hostPort({ port: 15001, container: 'proxy' })],
  },
  {
    name: 'leaves out the ports of an ordinary init container',
    spec: { containers: [container('web')], initContainers: [container('setup', [portSpec(8080)])] },
    want: [],
  },
  {
    name: 'leaves out an init container with another restartPolicy',
    spec: { containers: [container('web')], initContainers: [container('setup', [portSpec(8080)], { restartPolicy: 'OnFailure' })] },
    want: [],
  },
  {
    name: 'leaves out the ordinary init containers of a hostNetwork pod too',
    spec: { hostNetwork: true, containers: [], initContainers: [container('setup', [{ containerPort: 8080 }])] },
    want: [],
  },
  {
    name: 'lists sidecars first, then containers, each in declared order',
    spec: {
      containers: [container('web', [portSpec(80), portSpec(443)]), container('metrics', [portSpec(9090)])],
      initContainers: [container('setup', [portSpec(1)]), sidecar('proxy', [portSpec(15001)])],
    },
    want: [
      hostPort({ port: 15001, container: 'proxy' }),
      hostPort({ port: 80 }),
      hostPort({ port: 443 }),
      hostPort({ port: 9090, container: 'metrics' }),
    ],
  },
  {
    name: 'keeps a port declared twice twice',
    spec: { containers: [container('web', [portSpec(80)]), container('twin', [portSpec(80)])] },
    want: [hostPort({ port: 80 }), hostPort({ port: 80, container: 'twin' })],
  },
];

describe('hostPortsOf', () => {
  it.each(rows)('$name', ({ spec, want }) => {
    expect(hostPortsOf(spec)).toEqual(want);
  });

  it('defaults to the constants the rest of the engine uses', () => {
    expect([DEFAULT_PROTOCOL, IPV4_ANY]).toEqual(['TCP', '0.0.0.0']);
  });
});

describe('runningContainers', () => {
  it('returns sidecars then containers, never ordinary init containers', () => {
    const spec: PodSpecLike = {
      containers: [container('web')],
      initContainers: [container('setup'), sidecar('proxy', []), container('migrate')],
    };
    expect(runningContainers(spec).map((c) => c.name)).toEqual(['proxy', 'web']);
  });
});

describe('duplicateHostPorts', () => {
  interface DuplicateRow {
    readonly name: string;
    readonly spec: PodSpecLike;
    readonly defaultHostNetworkPorts: boolean;
    readonly want: readonly DuplicateHostPort[];
  }

  const dup = (value: string, field: string, first: string, second: string): DuplicateHostPort => ({ value, field, containers: [first, second] });

  const duplicateRows: readonly DuplicateRow[] = [
    {
      name: 'finds one hostPort declared by two containers, keyed as the API server keys it',
      spec: { containers: [container('web', [portSpec(8080)]), container('metrics', [portSpec(8080, { containerPort: 9090 })])] },
      defaultHostNetworkPorts: true,
      want: [dup('TCP//8080', 'containers[1].ports[0].hostPort', 'web', 'metrics')],
    },
    {
      name: 'finds one hostPort declared twice by one container',
      spec: { containers: [container('web', [portSpec(8080), portSpec(8080, { containerPort: 81 })])] },
      defaultHostNetworkPorts: true,
      want: [dup('TCP//8080', 'containers[0].ports[1].hostPort', 'web', 'web')],
    },
    {
      name: 'defaults an empty protocol to TCP before comparing',
      spec: { containers: [container('a', [portSpec(53, { protocol: '' })]), container('b', [portSpec(53, { protocol: 'TCP' })])] },
      defaultHostNetworkPorts: true,
      want: [dup('TCP//53', 'containers[1].ports[0].hostPort', 'a', 'b')],
    },
    {
      name: 'keeps an empty hostIP and 0.0.0.0 apart, as the API server does (they still collide on the node)',
      spec: { containers: [container('a', [portSpec(8080)]), container('b', [portSpec(8080, { hostIP: '0.0.0.0' })])] },
      defaultHostNetworkPorts: true,
      want: [],
    },
    {
      name: 'keeps TCP and UDP apart',
      spec: { containers: [container('dns', [portSpec(53, { protocol: 'UDP' }), portSpec(53, { protocol: 'TCP' })])] },
      defaultHostNetworkPorts: true,
      want: [],
    },
    {
      name: 'defaults hostPort to containerPort on a hostNetwork pod before comparing',
      spec: { hostNetwork: true, containers: [container('web', [{ containerPort: 8080 }]), container('twin', [{ containerPort: 8080 }])] },
      defaultHostNetworkPorts: true,
      want: [dup('TCP//8080', 'containers[1].ports[0].hostPort', 'web', 'twin')],
    },
    {
      name: 'leaves a hostNetwork template undefaulted when asked about the template itself',
      spec: { hostNetwork: true, containers: [container('web', [{ containerPort: 8080 }]), container('twin', [{ containerPort: 8080 }])] },
      defaultHostNetworkPorts: false,
      want: [],
    },
    {
      name: 'skips ports without a host port',
      spec: { containers: [container('web', [{ containerPort: 8080 }]), container('twin', [{ containerPort: 8080 }])] },
      defaultHostNetworkPorts: true,
      want: [],
    },
    {
      name: 'does not compare an init container, sidecar or not, with the regular containers',
      spec: {
        containers: [container('web', [portSpec(8080)])],
        initContainers: [container('setup', [portSpec(8080)]), sidecar('proxy', [portSpec(8080)])],
      },
      defaultHostNetworkPorts: true,
      want: [],
    },
    {
      name: 'finds a port an init container declares twice itself, at its own index',
      spec: { containers: [container('web')], initContainers: [container('setup'), sidecar('proxy', [portSpec(15001), portSpec(15001, { containerPort: 1 })])] },
      defaultHostNetworkPorts: true,
      want: [dup('TCP//15001', 'initContainers[1].ports[1].hostPort', 'proxy', 'proxy')],
    },
  ];

  it.each(duplicateRows)('$name', ({ spec, defaultHostNetworkPorts, want }) => {
    expect(duplicateHostPorts(spec, { defaultHostNetworkPorts })).toEqual(want);
  });
});
