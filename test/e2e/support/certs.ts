/**
 * The webhook's serving certificate, made by hack/e2e-certs.sh (the demo uses the same
 * script): a CA the API server trusts through the caBundle, and a certificate for
 * 127.0.0.1, the address in the registered webhook URL.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './cluster.js';

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
