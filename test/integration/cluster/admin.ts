/**
 * Plain JSON requests to the API server for setting up integration tests: create, read,
 * replace and delete objects as the API documents them, without client-node's model
 * classes (request bodies here are plain objects).
 */
import http from 'node:http';
import https from 'node:https';

import type { KubeConfig } from '@kubernetes/client-node';

/** A JSON object as the API returns it. */
export type Json = Record<string, unknown>;

/** An HTTP answer other than 2xx. */
export class AdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function isJsonObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Sends `method path` with an optional JSON body and returns the parsed answer. */
export async function request(kubeConfig: KubeConfig, method: string, path: string, body?: Json): Promise<Json> {
  const server = kubeConfig.getCurrentCluster()?.server ?? '';
  const url = new URL(`${server.replace(/\/+$/, '')}${path}`);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const options: https.RequestOptions = {
    method,
    headers: { Accept: 'application/json', ...(payload === undefined ? {} : { 'Content-Type': 'application/json' }) },
  };
  await kubeConfig.applyToHTTPSOptions(options);
  const send = url.protocol === 'http:' ? http.request : https.request;
  return new Promise((resolve, reject) => {
    const req = send(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        if (status < 200 || status > 299) {
          reject(new AdminError(status, `${method} ${path}: HTTP ${status}: ${text.slice(0, 300)}`));
          return;
        }
        const parsed: unknown = text === '' ? {} : JSON.parse(text);
        resolve(isJsonObject(parsed) ? parsed : {});
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** The `metadata.labels` of an object read from the API. */
export function labelsOf(object: Json): Record<string, string> {
  const metadata = object.metadata;
  if (!isJsonObject(metadata) || !isJsonObject(metadata.labels)) return {};
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata.labels)) if (typeof value === 'string') labels[key] = value;
  return labels;
}

/** `object` with `metadata.labels` replaced. */
export function withLabels(object: Json, labels: Record<string, string>): Json {
  const metadata = isJsonObject(object.metadata) ? object.metadata : {};
  return { ...object, metadata: { ...metadata, labels } };
}

/** `object` with `status.phase` replaced. */
export function withPhase(object: Json, phase: string): Json {
  const status = isJsonObject(object.status) ? object.status : {};
  return { ...object, status: { ...status, phase } };
}
