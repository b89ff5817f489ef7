import type { KubeConfig } from '@kubernetes/client-node';

import type { ClusterSources } from './informer.js';
import { kubeHttp } from './kube-http.js';
import { kubeListWatch } from './kube-list-watch.js';
import { NAMESPACES, NODES, PODS, PRIORITY_CLASSES } from './resources.js';

/** Lists and watches pods, nodes, labelled namespaces and PriorityClasses on the cluster `kubeConfig` points at. */
export function kubeClusterSources(kubeConfig: KubeConfig): ClusterSources {
  const api = kubeHttp(kubeConfig);
  return {
    pods: kubeListWatch(api, PODS),
    nodes: kubeListWatch(api, NODES),
    namespaces: kubeListWatch(api, NAMESPACES),
    priorityClasses: kubeListWatch(api, PRIORITY_CLASSES),
  };
}
