import { readFile } from 'node:fs/promises';
import type { RequestListener } from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import type { Logger } from 'pino';
import type { CertificateInfo, KeyPair, ReloadResult } from './cert-reloader.js';
import { createCertReloader } from './cert-reloader.js';
import type { RunningServer } from './lifecycle.js';
import { failureOf, gracefulStopper, listen } from './lifecycle.js';

/** TLS below 1.2 is refused (the API server speaks 1.2 and 1.3). */
export const TLS_OPTIONS: tls.SecureContextOptions = { minVersion: 'TLSv1.2' };

/**
 * How long the API server keeps an idle connection to a webhook for reuse (Go's
 * http.Transport IdleConnTimeout in k8s.io/apiserver's webhook client).
 */
export const API_SERVER_IDLE_MS = 90_000;

/** The HTTP timeouts of the webhook server. */
export interface ServerTimeouts {
  /**
   * How long an idle keep-alive connection is kept. The API server reuses idle
   * connections for up to API_SERVER_IDLE_MS; closing earlier races its next request on a
   * half-closed connection and fails that admission call.
   */
  readonly keepAliveMs: number;
  /**
   * How long the headers of one request may take. Node.js starts this timer at the first
   * byte of each request on a kept-alive connection, but on a new connection when it is
   * accepted, and then writes 408 to it. Under a burst the API server opens connections
   * it ends up parking unused; one it then sends a request on as Node.js writes the 408
   * fails that admission call (with failurePolicy Ignore the pod gets in unchecked). So
   * it is longer than the API server keeps idle connections. Must be at most requestMs.
   */
  readonly headersMs: number;
  /**
   * How long a whole request may take, counted like headersMs, so as long: the API
   * server itself gives up after at most 30 s (timeoutSeconds).
   */
  readonly requestMs: number;
}

/** Timeouts used unless overridden. */
export const DEFAULT_TIMEOUTS: ServerTimeouts = { keepAliveMs: 95_000, headersMs: 100_000, requestMs: 100_000 };

/** Options of startAdmissionServer. */
export interface AdmissionServerOptions {
  /** The admission app (createAdmissionApp). */
  readonly app: RequestListener;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** PEM certificate (chain) and private key, usually mounted from a Secret. */
  readonly certFile: string;
  readonly keyFile: string;
  readonly logger: Logger;
  /** How often the certificate files are read (the `tls.reloadIntervalSeconds` setting). */
  readonly reloadIntervalMs: number;
  /** Reads a file whole; fs.promises.readFile unless given. */
  readonly readFile?: (path: string) => Promise<Buffer>;
  readonly timeouts?: Partial<ServerTimeouts>;
}

/** The running webhook server. */
export interface AdmissionServer extends RunningServer {
  /** Whether a certificate is in use: part of readiness. */
  readonly certificateLoaded: () => boolean;
  /** The certificate new connections get. */
  readonly certificate: () => CertificateInfo | undefined;
  /** Looks at the certificate files now instead of at the next poll. */
  readonly reloadCertificates: () => Promise<ReloadResult>;
}

/** Makes `pair` the certificate of new connections, after checking that it parses and matches. */
function installer(server: https.Server): (pair: KeyPair) => void {
  return (pair) => {
    const options = { ...TLS_OPTIONS, cert: pair.cert, key: pair.key };
    // Throws on bad PEM or a key that does not match, before the server is touched.
    tls.createSecureContext(options);
    server.setSecureContext(options);
  };
}

/**
 * Starts the HTTPS webhook server. It listens even when the certificate files are not
 * usable yet (handshakes fail and certificateLoaded() is false until they are), so the
 * readiness probe says why instead of the pod crash-looping; the files are then polled
 * and every good new pair is used for new connections without a restart.
 */
export async function startAdmissionServer(options: AdmissionServerOptions): Promise<AdmissionServer> {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const server = https.createServer(
    { ...TLS_OPTIONS, requestTimeout: timeouts.requestMs, headersTimeout: timeouts.headersMs, keepAliveTimeout: timeouts.keepAliveMs },
    options.app,
  );
  server.keepAliveTimeout = timeouts.keepAliveMs;
  const reloader = createCertReloader({
    certFile: options.certFile,
    keyFile: options.keyFile,
    intervalMs: options.reloadIntervalMs,
    readFile: options.readFile ?? ((path) => readFile(path)),
    install: installer(server),
    logger: options.logger,
  });
  await reloader.check();
  const stop = gracefulStopper(server);
  const port = await listen(server, options.host, options.port, 'webhook port');
  reloader.start();
  options.logger.info({ host: options.host, port, certificateLoaded: reloader.loaded() }, 'admission server listening');
  return {
    port,
    failed: failureOf(server, 'webhook port', options.host, port),
    certificateLoaded: () => reloader.loaded(),
    certificate: () => reloader.current(),
    reloadCertificates: () => reloader.check(),
    stop: (graceMs) => {
      reloader.stop();
      return stop(graceMs);
    },
  };
}
