import { KubeConfig } from '@kubernetes/client-node';

/** Error code of a kubeconfig that cannot be used. */
export const HPG_ERR_KUBECONFIG = 'HPG_ERR_KUBECONFIG';

/** A kubeconfig that cannot be loaded, or names no cluster or context to use. */
export class KubeConfigError extends Error {
  /** Always HPG_ERR_KUBECONFIG. */
  readonly code = HPG_ERR_KUBECONFIG;

  /** Describes what is wrong with the kubeconfig. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'KubeConfigError';
  }
}

/** Where the API server's address and credentials come from. */
export interface KubeConfigSource {
  /** A kubeconfig file; without it client-node's default order applies (see loadKubeConfig). */
  readonly path?: string;
  /** A context of that kubeconfig other than its current-context. */
  readonly context?: string;
}

/**
 * Loads the API server connection. With a path, that kubeconfig file. Without one,
 * client-node's `loadFromDefault`: `$KUBECONFIG`, then `~/.kube/config`, then the
 * in-cluster service account (`KUBERNETES_SERVICE_HOST` and the mounted token), which
 * is what the webhook uses when it runs as a pod.
 */
export function loadKubeConfig(source: KubeConfigSource = {}): KubeConfig {
  const kubeConfig = new KubeConfig();
  try {
    if (source.path === undefined) kubeConfig.loadFromDefault();
    else kubeConfig.loadFromFile(source.path);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new KubeConfigError(`cannot load the kubeconfig${source.path === undefined ? '' : ` ${source.path}`}: ${detail}`, { cause: error });
  }
  if (source.context !== undefined) {
    if (kubeConfig.getContextObject(source.context) === null) {
      throw new KubeConfigError(`the kubeconfig has no context named ${source.context}`);
    }
    kubeConfig.setCurrentContext(source.context);
  }
  const cluster = kubeConfig.getCurrentCluster();
  if (cluster === null || cluster.server === '') {
    throw new KubeConfigError('the kubeconfig names no cluster for its current context');
  }
  // loadFromDefault's last resort when it finds nothing at all (config.js, loadFromDefault).
  if (source.path === undefined && cluster.name === 'cluster' && cluster.server === 'http://localhost:8080') {
    throw new KubeConfigError('no kubeconfig found ($KUBECONFIG, ~/.kube/config) and not running in a cluster');
  }
  return kubeConfig;
}
