/**
 * The plain-HTTP side server for the kubelet's probes and Prometheus: kept off the
 * webhook port so probes need no TLS and a scrape never queues behind admission calls.
 */
import express from 'express';
import type { Express } from 'express';
import http from 'node:http';
import type { RequestListener } from 'node:http';
import type { Registry } from 'prom-client';
import { HPG_ERR_NOT_FOUND, sendPlainError } from './errors.js';
import type { RunningServer } from './lifecycle.js';
import { failureOf, gracefulStopper, listen } from './lifecycle.js';

/** One condition of readiness, e.g. `index-synced` or `certificate-loaded`. */
export interface ReadinessCheck {
  readonly name: string;
  readonly ready: () => boolean;
}

/** Collaborators of the health app. */
export interface HealthAppDeps {
  /** Rendered at /metrics. */
  readonly registry: Registry;
  /** /readyz answers 200 only when every check passes. */
  readonly checks: readonly ReadinessCheck[];
  /** /livez answers 503 when this says false; always live unless given. */
  readonly live?: () => boolean;
}

/** The answer of /readyz: `{status: 'ready'}` or `{status: 'not ready', failing: [names]}`. */
export type Readiness = { readonly status: 'ready' } | { readonly status: 'not ready'; readonly failing: readonly string[] };

/** `GET /livez`, `GET /readyz`, `GET /metrics`; JSON 404 elsewhere. */
export function createHealthApp(deps: HealthAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.get('/livez', (_req, res) => {
    const live = deps.live?.() ?? true;
    res.status(live ? 200 : 503).json({ status: live ? 'ok' : 'unhealthy' });
  });
  app.get('/readyz', (_req, res) => {
    const failing = deps.checks.filter((check) => !check.ready()).map((check) => check.name);
    const body: Readiness = failing.length === 0 ? { status: 'ready' } : { status: 'not ready', failing };
    res.status(failing.length === 0 ? 200 : 503).json(body);
  });
  app.get('/metrics', async (_req, res) => {
    const text = await deps.registry.metrics();
    res.setHeader('Content-Type', deps.registry.contentType);
    res.send(text);
  });
  app.use((req, res) => {
    sendPlainError(res, 404, HPG_ERR_NOT_FOUND, `no route for ${req.method} ${req.path}`);
  });
  return app;
}

/** Options of startHealthServer. */
export interface HealthServerOptions {
  /** The health app (createHealthApp). */
  readonly app: RequestListener;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
}

/** Starts the plain-HTTP health and metrics server. */
export async function startHealthServer(options: HealthServerOptions): Promise<RunningServer> {
  // Probes and scrapes are small and quick; nothing here needs long timeouts.
  const server = http.createServer({ requestTimeout: 10_000, headersTimeout: 5_000 }, options.app);
  const stop = gracefulStopper(server);
  const port = await listen(server, options.host, options.port, 'health port');
  return { port, stop, failed: failureOf(server, 'health port', options.host, port) };
}
