/**
 * The floor: a bare node:https server that does the least a webhook must do (read the
 * body, parse the JSON, echo the uid with allowed: true), with the same TLS setup and
 * keep-alive as hostport-guard. Its throughput is the ceiling for any Node.js webhook
 * on this machine.
 *
 * Usage: node floor-server.js --port P --cert FILE --key FILE
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { parseArgs } from 'node:util';

function uidOf(body: unknown): string {
  if (typeof body !== 'object' || body === null || !('request' in body)) return '';
  const request = body.request;
  if (typeof request !== 'object' || request === null || !('uid' in request)) return '';
  return typeof request.uid === 'string' ? request.uid : '';
}

const { values } = parseArgs({ options: { port: { type: 'string' }, cert: { type: 'string' }, key: { type: 'string' } } });
if (values.port === undefined || values.cert === undefined || values.key === undefined) throw new Error('usage: floor-server.js --port P --cert FILE --key FILE');

const server = https.createServer({ cert: readFileSync(values.cert), key: readFileSync(values.key), minVersion: 'TLSv1.2', keepAliveTimeout: 95_000 }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400).end();
      return;
    }
    const answer = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: uidOf(body), allowed: true } });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(answer) }).end(answer);
  });
});
server.keepAliveTimeout = 95_000;
server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(`floor listening on ${values.port}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
});
