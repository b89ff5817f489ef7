import type { KubeConfig } from '@kubernetes/client-node';

import type { ClusterSources } from './informer.js';
import { kubeHttp } from './kube-http.js';
import { kubeListWatch } from './kube-list-watch.js';
import { NAMESPACES, NODES, PODS } from './resources.js';

/** Lists and watches pods, nodes and labelled namespaces on the cluster `kubeConfig` points at. */
export function kubeClusterSources(kubeConfig: KubeConfig): ClusterSources {
  const api = kubeHttp(kubeConfig);
  return {
    pods: kubeListWatch(api, PODS),
    nodes: kubeListWatch(api, NODES),
    namespaces: kubeListWatch(api, NAMESPACES),
  };
}
