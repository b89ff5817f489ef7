/**
 * Registers the webhook with the configuration rendered from the chart's own template
 * (charts/hostport-guard/templates/webhook.yaml), pointed at a webhook on this machine
 * through `webhook.url`, exactly as a user following the docs would:
 *
 *   helm template hpg-e2e charts/hostport-guard --namespace hostport-guard \
 *     --show-only templates/webhook.yaml --set webhook.url=https://127.0.0.1:PORT/validate \
 *     --set tls.mode=secret --set tls.secret.name=... --set-string tls.secret.caBundle=... \
 *   | kubectl apply -f -
 */
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { helm, kubectl, REPO_ROOT } from './cluster.js';
import { describeRun } from './process.js';

/**
 * The release name and namespace the suite renders with. Not the demo's (`hpg`): on a
 * cluster that also ran the demo, the suite must neither replace nor delete its objects.
 */
export const RELEASE = 'hpg-e2e';
export const RELEASE_NAMESPACE = 'hostport-guard';
/** The ValidatingWebhookConfiguration's name for RELEASE (the chart's fullname). */
export const CONFIGURATION_NAME = `${RELEASE}-hostport-guard`;

/** What to register. */
export interface Registration {
  /** The webhook's URL, e.g. https://127.0.0.1:8443/validate. */
  readonly url: string;
  /** Base64 PEM of the CA that signed the webhook's certificate. */
  readonly caBundle: string;
  readonly failurePolicy: 'Fail' | 'Ignore';
  /** The chart's `exemptNamespaces`: the API server never calls the webhook for them. */
  readonly exemptNamespaces?: readonly string[];
  readonly timeoutSeconds?: number;
}

/** The helm command line that renders the configuration. */
export function helmTemplateArgs(registration: Registration): string[] {
  const set = (key: string, value: string): string[] => ['--set', `${key}=${value}`];
  return [
    'template', RELEASE, path.join(REPO_ROOT, 'charts/hostport-guard'),
    '--namespace', RELEASE_NAMESPACE,
    '--show-only', 'templates/webhook.yaml',
    ...set('webhook.url', registration.url),
    ...set('webhook.failurePolicy', registration.failurePolicy),
    ...set('webhook.timeoutSeconds', String(registration.timeoutSeconds ?? 5)),
    ...set('tls.mode', 'secret'),
    ...set('tls.secret.name', 'hostport-guard-local-tls'),
    '--set-string', `tls.secret.caBundle=${registration.caBundle}`,
    ...(registration.exemptNamespaces ?? []).flatMap((ns, i) => set(`config.exemptNamespaces[${i}]`, ns)),
  ];
}

/** Renders the chart's webhook.yaml for `registration`. */
export async function renderConfiguration(registration: Registration): Promise<string> {
  const args = helmTemplateArgs(registration);
  const rendered = await helm(args);
  if (rendered.exitCode !== 0) throw new Error(describeRun(`helm ${args.join(' ')}`, rendered));
  return rendered.stdout;
}

/** The kinds and names of the objects in a rendered manifest. */
export function renderedObjects(text: string): { kind: string; name: string }[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as unknown)
    .filter((o): o is { kind: string; metadata: { name: string } } => {
      if (typeof o !== 'object' || o === null || !('kind' in o) || !('metadata' in o)) return false;
      const { kind, metadata } = o;
      return typeof kind === 'string' && typeof metadata === 'object' && metadata !== null && 'name' in metadata && typeof metadata.name === 'string';
    })
    .map((o) => ({ kind: o.kind, name: o.metadata.name }));
}

/** Renders the configuration and applies it with `kubectl apply -f -`; returns what was applied. */
export async function registerWebhook(registration: Registration): Promise<string> {
  const rendered = await renderConfiguration(registration);
  const applied = await kubectl(['apply', '-f', '-'], { input: rendered });
  if (applied.exitCode !== 0) throw new Error(describeRun('kubectl apply -f -', applied));
  return rendered;
}

/** Deletes the configuration, so no later test (or user) meets a webhook that is gone. */
export async function unregisterWebhook(): Promise<void> {
  const result = await kubectl(['delete', 'validatingwebhookconfiguration', CONFIGURATION_NAME, '--ignore-not-found']);
  if (result.exitCode !== 0) throw new Error(describeRun('kubectl delete validatingwebhookconfiguration', result));
}
