/**
 * Certificates of the stories: the webhook's serving certificate, made by
 * hack/e2e-certs.sh (the demo uses the same script): a CA the API server trusts through
 * the caBundle, and a certificate for 127.0.0.1, the address in the registered webhook
 * URL; and a kubelet's client identity, signed by the cluster's own CA.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { clusterEnv, REPO_ROOT } from './cluster.js';

/** Files of the webhook's TLS setup. */
export interface WebhookCerts {
  readonly certFile: string;
  readonly keyFile: string;
  /** Base64 of the CA's PEM: the `tls.secret.caBundle` chart value. */
  readonly caBundle: string;
}

/** Creates (or reuses) the CA and serving certificate in `dir`. */
export function webhookCerts(dir: string): WebhookCerts {
  execFileSync('bash', [path.join(REPO_ROOT, 'hack/e2e-certs.sh'), dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  return {
    certFile: path.join(dir, 'tls.crt'),
    keyFile: path.join(dir, 'tls.key'),
    caBundle: readFileSync(path.join(dir, 'ca.crt')).toString('base64'),
  };
}

/**
 * A kubeconfig holding a kubelet's identity for `node`: a client certificate signed by the
 * cluster's CA (hack/cluster-up.sh keeps its key in $HPG_CLUSTER_DIR/pki) with
 * `O=system:nodes, CN=system:node:NODE`, the identity the Node authorizer and the
 * NodeRestriction plugin recognise. Requests made with it reach the webhook with
 * `userInfo.username: system:node:NODE` in group `system:nodes`, as a kubelet's do.
 */
export function nodeKubeconfig(dir: string, node: string): string {
  const { clusterDir, kubeconfig } = clusterEnv();
  const pki = path.join(clusterDir, 'pki');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = (name: string): string => path.join(dir, `${node}.${name}`);
  const openssl = (args: readonly string[]): void => {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  };
  writeFileSync(file('ext'), 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n');
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', file('key')]);
  openssl(['req', '-new', '-key', file('key'), '-subj', `/O=system:nodes/CN=system:node:${node}`, '-out', file('csr')]);
  openssl([
    'x509', '-req', '-in', file('csr'), '-CA', path.join(pki, 'ca.crt'), '-CAkey', path.join(pki, 'ca.key'),
    '-set_serial', `0x${randomBytes(16).toString('hex')}`, '-days', '1', '-sha256', '-extfile', file('ext'), '-out', file('crt'),
  ]);
  const admin: unknown = parse(readFileSync(kubeconfig, 'utf8'));
  const cluster = clusterOf(admin);
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'local', cluster }],
    users: [{
      name: `system:node:${node}`,
      user: {
        'client-certificate-data': readFileSync(file('crt')).toString('base64'),
        'client-key-data': readFileSync(file('key')).toString('base64'),
      },
    }],
    contexts: [{ name: 'node', context: { cluster: 'local', user: `system:node:${node}` } }],
    'current-context': 'node',
  };
  writeFileSync(file('kubeconfig'), stringify(config), { mode: 0o600 });
  return file('kubeconfig');
}

/** The first cluster entry (server and CA) of a kubeconfig. */
function clusterOf(kubeconfig: unknown): Record<string, unknown> {
  if (typeof kubeconfig === 'object' && kubeconfig !== null && 'clusters' in kubeconfig && Array.isArray(kubeconfig.clusters)) {
    const clusters: unknown[] = kubeconfig.clusters;
    const first = clusters[0];
    if (typeof first === 'object' && first !== null && 'cluster' in first && typeof first.cluster === 'object' && first.cluster !== null) {
      return { ...first.cluster };
    }
  }
  throw new Error('the admin kubeconfig names no cluster');
}
