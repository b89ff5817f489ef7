/**
 * Keeps the serving certificate in step with its files. Kubernetes updates a Secret volume
 * by writing a new timestamped directory and swapping the `..data` symlink, without any
 * signal to the process; cert-manager renews certificates well before they expire. So
 * the files are polled (as controller-runtime's certwatcher does) and a changed pair is
 * installed for new connections, while established connections keep the old one. A pair
 * that does not parse or does not match is refused and the previous one kept: a
 * half-written update must never take the webhook down.
 */
import { X509Certificate } from 'node:crypto';
import type { Logger } from 'pino';

/** The PEM contents of a certificate (chain) file and its private key file. */
export interface KeyPair {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** What the logs and tests need to know about the serving certificate. */
export interface CertificateInfo {
  readonly subject: string;
  readonly serialNumber: string;
  readonly fingerprint256: string;
  readonly validTo: string;
}

/** The result of one look at the files. */
export type ReloadResult =
  | { readonly kind: 'loaded'; readonly certificate: CertificateInfo }
  | { readonly kind: 'unchanged' }
  /** The files changed but the pair is unusable; the previous pair stays in use. */
  | { readonly kind: 'rejected'; readonly reason: string }
  /** A file could not be read (not there yet, permissions). */
  | { readonly kind: 'unreadable'; readonly reason: string };

/** Options of createCertReloader. */
export interface CertReloaderOptions {
  readonly certFile: string;
  readonly keyFile: string;
  /** How often the files are read while polling. */
  readonly intervalMs: number;
  /** Reads a file whole; `fs.promises.readFile` in production. */
  readonly readFile: (path: string) => Promise<Buffer>;
  /** Puts a pair in use for new connections; throws when the pair is unusable (bad PEM, key does not match). */
  readonly install: (pair: KeyPair) => void;
  readonly logger: Logger;
}

/** Watches a certificate and key file pair. */
export interface CertReloader {
  /** Reads both files and installs them if they changed since the last look. */
  readonly check: () => Promise<ReloadResult>;
  /** Whether a pair is in use. */
  readonly loaded: () => boolean;
  /** The certificate in use. */
  readonly current: () => CertificateInfo | undefined;
  /** Starts polling every `intervalMs`; the timer does not keep the process alive. */
  readonly start: () => void;
  readonly stop: () => void;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function describeCertificate(cert: Buffer): CertificateInfo {
  const x509 = new X509Certificate(cert);
  return { subject: x509.subject, serialNumber: x509.serialNumber, fingerprint256: x509.fingerprint256, validTo: x509.validTo };
}

/** Creates a reloader; nothing is read until check() or start(). */
export function createCertReloader(options: CertReloaderOptions): CertReloader {
  const { certFile, keyFile, readFile, install, logger } = options;
  let seen: KeyPair | undefined;
  let lastProblem: string | undefined;
  let certificate: CertificateInfo | undefined;
  let timer: NodeJS.Timeout | undefined;
  let queue: Promise<ReloadResult> = Promise.resolve({ kind: 'unchanged' });

  async function look(): Promise<ReloadResult> {
    let pair: KeyPair;
    try {
      const [cert, key] = await Promise.all([readFile(certFile), readFile(keyFile)]);
      pair = { cert, key };
    } catch (error) {
      const reason = messageOf(error);
      // Said once per problem, not once per poll.
      if (reason !== lastProblem) logger.error({ certFile, keyFile, reason }, 'cannot read the TLS certificate or key');
      lastProblem = reason;
      return { kind: 'unreadable', reason };
    }
    if (seen !== undefined && seen.cert.equals(pair.cert) && seen.key.equals(pair.key)) return { kind: 'unchanged' };
    seen = pair;
    try {
      const info = describeCertificate(pair.cert);
      install(pair);
      certificate = info;
      lastProblem = undefined;
      logger.info({ certFile, ...info }, 'TLS certificate loaded');
      return { kind: 'loaded', certificate: info };
    } catch (error) {
      const reason = messageOf(error);
      lastProblem = reason;
      logger.error({ certFile, keyFile, reason, kept: certificate?.serialNumber ?? null }, 'refused a new TLS certificate and key; keeping the previous pair');
      return { kind: 'rejected', reason };
    }
  }

  function check(): Promise<ReloadResult> {
    // One look at a time: a slow read must not race the next poll.
    queue = queue.then(look, look);
    return queue;
  }

  return {
    check,
    loaded: () => certificate !== undefined,
    current: () => certificate,
    start() {
      if (timer !== undefined) return;
      timer = setInterval(() => {
        void check();
      }, options.intervalMs);
      timer.unref();
    },
    stop() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    },
  };
}
