/**
 * Namespaces each test creates and removes, so every test starts from a known cluster.
 *
 * There is no kubelet: a pod bound to a (fake) node is never confirmed gone, so a plain
 * delete leaves it Terminating forever and its namespace with it. Cleanup therefore
 * removes controllers first (orphaning their pods, so nothing re-creates them), then
 * force-deletes every pod, then deletes the namespace, repeating the forced pod delete
 * until the namespace is gone.
 */
import { randomBytes } from 'node:crypto';
import { stringify } from 'yaml';
import { kubectl, kubectlOk } from './cluster.js';
import { done, eventually, notYet } from '../../support/wait.js';

/** The label on every namespace the suite creates, so leftovers of a killed run can be found. */
export const E2E_LABEL = 'hostport-guard.dev/e2e';

/** A fresh namespace name: `e2e-<prefix>-<4 hex>`. */
export function namespaceName(prefix: string): string {
  return `e2e-${prefix}-${randomBytes(2).toString('hex')}`;
}

/** Creates namespace `name` with `labels` and waits for its default ServiceAccount (pods need it). */
export async function createNamespace(name: string, labels: Readonly<Record<string, string>> = {}): Promise<string> {
  const manifest = { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { ...labels, [E2E_LABEL]: 'true' } } };
  await kubectlOk(['apply', '-f', '-'], { input: stringify(manifest) });
  await eventually(`the default ServiceAccount in ${name}`, async () => {
    const sa = await kubectl(['get', 'serviceaccount', 'default', '-n', name, '-o', 'name']);
    return sa.exitCode === 0 ? done(undefined) : notYet(sa.stderr.trim());
  });
  return name;
}

async function existing(names: readonly string[]): Promise<string[]> {
  const out = await kubectlOk(['get', 'namespaces', '-o', 'jsonpath={range .items[*]}{.metadata.name}{"\\n"}{end}']);
  const all = new Set(out.split('\n').filter((n) => n !== ''));
  return names.filter((n) => all.has(n));
}

async function forcePods(ns: string): Promise<void> {
  await kubectl(['delete', 'pods', '--all', '-n', ns, '--grace-period=0', '--force', '--wait=false']);
}

/** Deletes the namespaces and everything in them, and waits until they are gone. */
export async function deleteNamespaces(names: readonly string[]): Promise<void> {
  const present = await existing(names);
  if (present.length === 0) return;
  for (const ns of present) {
    await kubectl(['delete', 'daemonsets,deployments,replicasets,statefulsets,jobs,cronjobs,replicationcontrollers', '--all', '-n', ns, '--cascade=orphan', '--wait=false']);
    await forcePods(ns);
    await kubectl(['delete', 'namespace', ns, '--wait=false']);
  }
  await eventually(
    `namespaces ${present.join(', ')} to be deleted`,
    async () => {
      const left = await existing(present);
      if (left.length === 0) return done(undefined);
      for (const ns of left) await forcePods(ns);
      return notYet(`still there: ${left.join(', ')}`);
    },
    { timeoutMs: 120_000, intervalMs: 1_000 },
  );
}

/** Deletes namespaces left behind by an earlier run that was killed before its cleanup. */
export async function deleteLeftoverNamespaces(): Promise<void> {
  const out = await kubectlOk(['get', 'namespaces', '-l', `${E2E_LABEL}=true`, '-o', 'jsonpath={range .items[*]}{.metadata.name}{"\\n"}{end}']);
  await deleteNamespaces(out.split('\n').filter((n) => n !== ''));
}
