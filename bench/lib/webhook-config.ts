/**
 * The chart's own ValidatingWebhookConfiguration (templates/webhook.yaml, `helm template`)
 * pointed at a webhook on this machine and scoped to one namespace, so a bench never
 * touches pods outside its own namespace.
 */
import path from 'node:path';

import { parseAllDocuments } from 'yaml';

import { output } from './proc.js';
import type { Json } from './wire.js';

/** What to render. */
export interface WebhookConfigurationOptions {
  /** helm's binary. */
  readonly helm: string;
  readonly repo: string;
  /** The release name: the configuration is named `<release>-hostport-guard`. */
  readonly release: string;
  /** e.g. https://127.0.0.1:8443/validate */
  readonly url: string;
  /** Base64 PEM of the CA that signed the webhook's certificate. */
  readonly caBundle: string;
  /** The only namespace whose pods are sent. */
  readonly namespace: string;
  readonly timeoutSeconds: number;
}

/** The configuration's name for `release` (the chart's fullname). */
export function configurationName(release: string): string {
  return `${release}-hostport-guard`;
}

/** Renders the configuration; fails when helm renders none. */
export async function renderWebhookConfiguration(o: WebhookConfigurationOptions): Promise<Json> {
  const rendered = await output(o.helm, [
    'template', o.release, path.join(o.repo, 'charts/hostport-guard'),
    '--namespace', 'hostport-guard',
    '--show-only', 'templates/webhook.yaml',
    '--set', `webhook.url=${o.url}`,
    '--set', 'webhook.failurePolicy=Fail',
    '--set', `webhook.timeoutSeconds=${o.timeoutSeconds}`,
    '--set', 'webhook.checkWorkloads=false',
    '--set', 'tls.mode=secret',
    '--set', 'tls.secret.name=hpg-bench-tls',
    '--set-string', `tls.secret.caBundle=${o.caBundle}`,
    '--set', 'namespaceSelectorExpressions[0].key=kubernetes.io/metadata.name',
    '--set', 'namespaceSelectorExpressions[0].operator=In',
    '--set', `namespaceSelectorExpressions[0].values[0]=${o.namespace}`,
  ]);
  const objects = parseAllDocuments(rendered).map((d) => d.toJS() as unknown);
  const configuration = objects.find((o): o is Json => typeof o === 'object' && o !== null && 'kind' in o && o.kind === 'ValidatingWebhookConfiguration');
  if (configuration === undefined) throw new Error(`helm rendered no ValidatingWebhookConfiguration:\n${rendered}`);
  return configuration;
}

/** The same configuration without matchConditions: the API server sends every pod. */
export function withoutMatchConditions(configuration: Json): Json {
  const copy = structuredClone(configuration);
  const webhooks = copy['webhooks'];
  if (!Array.isArray(webhooks)) throw new Error('the configuration has no webhooks');
  for (const webhook of webhooks as unknown[]) {
    if (typeof webhook === 'object' && webhook !== null) Reflect.deleteProperty(webhook, 'matchConditions');
  }
  return copy;
}
