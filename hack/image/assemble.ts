/**
 * Assembles the project's container images without a Docker engine or a registry, as
 * docker-archive tarballs (manifest.json, a config JSON, layer tars) that
 * `ctr images import` reads.
 *
 *   node hack/image/assemble.ts webhook OUT.tar   the webhook image, from the Dockerfile
 *   node hack/image/assemble.ts base OUT_DIR      pause.tar and busybox.tar for the nodes
 *
 * The webhook image is the Dockerfile's final stage, read from the Dockerfile itself:
 * its WORKDIR, USER, EXPOSE, ENTRYPOINT and CMD become the image config, and each COPY
 * is carried out from the files the build stage would have made (`dist/` from
 * `npm run build`, production `node_modules` from `npm ci --omit=dev`). The base image
 * (distroless Node.js 24) is stood in for by the Node.js 24 binary of `npm ci`, the
 * shared libraries it links, and the same nonroot user (65532). A COPY this script does
 * not know how to carry out is an error, so the two cannot drift apart silently;
 * test/unit/image/assemble.test.ts checks the agreement.
 *
 * Layers are tarred with fixed owners, modes and times, so the same inputs give the same
 * image id, and a node that already has that id skips the import.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The repository root (this file lives in hack/image/). */
const REPO = path.resolve(import.meta.dirname, '..', '..');

/** The final stage of a Dockerfile: what the image's config and file layout come from. */
export interface FinalStage {
  readonly from: string;
  readonly workdir: string;
  readonly user: string;
  readonly exposedPorts: readonly string[];
  readonly entrypoint: readonly string[];
  readonly cmd: readonly string[];
  readonly copies: readonly { readonly from: string | null; readonly source: string; readonly dest: string }[];
}

/** Joins continued lines and drops comments and parser directives. */
function instructions(dockerfile: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const raw of dockerfile.split('\n')) {
    const line = raw.trim();
    if (current === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      current += line.slice(0, -1) + ' ';
      continue;
    }
    out.push((current + line).trim());
    current = '';
  }
  if (current.trim() !== '') out.push(current.trim());
  return out;
}

function execForm(instruction: string, args: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || !parsed.every((a): a is string => typeof a === 'string')) {
    throw new Error(`${instruction} must use the JSON exec form, got: ${args}`);
  }
  return parsed;
}

/** Reads the last stage of a Dockerfile: the instructions this assembler carries out. */
export function parseFinalStage(dockerfile: string): FinalStage {
  const all = instructions(dockerfile);
  const lastFrom = all.map((line) => /^FROM\s/i.test(line)).lastIndexOf(true);
  if (lastFrom < 0) throw new Error('the Dockerfile has no FROM');
  let stage: { from: string; workdir: string; user: string; exposedPorts: string[]; entrypoint: string[]; cmd: string[]; copies: FinalStage['copies'][number][] } | undefined;
  for (const line of all.slice(lastFrom)) {
    const match = /^(\S+)\s+(.*)$/.exec(line);
    if (match === null) throw new Error(`cannot read Dockerfile line: ${line}`);
    const keyword = (match[1] ?? '').toUpperCase();
    const args = match[2] ?? '';
    if (keyword === 'FROM') {
      stage = { from: args.split(/\s+/)[0] ?? '', workdir: '/', user: 'root', exposedPorts: [], entrypoint: [], cmd: [], copies: [] };
      continue;
    }
    if (stage === undefined) throw new Error(`${keyword} before the first FROM`);
    switch (keyword) {
      case 'WORKDIR':
        stage.workdir = path.posix.resolve(stage.workdir, args);
        break;
      case 'USER':
        stage.user = args;
        break;
      case 'EXPOSE':
        stage.exposedPorts.push(...args.split(/\s+/).map((p) => (p.includes('/') ? p : `${p}/tcp`)));
        break;
      case 'ENTRYPOINT':
        stage.entrypoint = execForm(keyword, args);
        break;
      case 'CMD':
        stage.cmd = execForm(keyword, args);
        break;
      case 'COPY': {
        const words = args.split(/\s+/);
        const fromFlag = words[0]?.startsWith('--from=') === true ? (words.shift() ?? '').slice('--from='.length) : null;
        if (words.some((w) => w.startsWith('--')) || words.length !== 2) throw new Error(`COPY with one source and no other flags expected, got: ${line}`);
        const [source = '', dest = ''] = words;
        stage.copies.push({ from: fromFlag, source, dest: path.posix.resolve(stage.workdir, dest) });
        break;
      }
      case 'RUN':
      case 'ENV':
      case 'LABEL':
      case 'ARG':
        // The final stage runs nothing and sets no variables today; if it ever does, the
        // assembler must learn it, so say so rather than build a different image.
        throw new Error(`the final stage uses ${keyword}, which hack/image/assemble.ts does not carry out`);
      default:
        throw new Error(`unknown Dockerfile instruction ${keyword}`);
    }
  }
  if (stage === undefined) throw new Error('the Dockerfile has no FROM');
  return stage;
}

/** An image to write: its name, its layers (one folder each, in order) and its config. */
interface ImageSpec {
  readonly tag: string;
  readonly layers: readonly string[];
  readonly config: Record<string, unknown>;
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** Tars a folder with fixed owners and times, so equal trees give equal layers. */
function tarLayer(dir: string, out: string): void {
  execFileSync('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '--format=posix', '--pax-option=delete=atime,delete=ctime', '-C', dir, '-cf', out, '.']);
}

/** Writes a docker-archive holding one image; returns the image id (the config digest). */
function writeArchive(spec: ImageSpec, out: string): string {
  const work = mkdtempSync(path.join(tmpdir(), 'hpg-image-'));
  try {
    const diffIds: string[] = [];
    const layerFiles: string[] = [];
    spec.layers.forEach((dir, i) => {
      const file = `layer-${i}.tar`;
      tarLayer(dir, path.join(work, file));
      diffIds.push(`sha256:${sha256(readFileSync(path.join(work, file)))}`);
      layerFiles.push(file);
    });
    const config = JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: spec.config,
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: spec.layers.map((dir) => ({ created_by: `hack/image/assemble.ts: ${path.relative(REPO, dir) || dir}`, created: '1970-01-01T00:00:00Z' })),
      created: '1970-01-01T00:00:00Z',
    });
    const id = sha256(Buffer.from(config));
    writeFileSync(path.join(work, `${id}.json`), config);
    writeFileSync(path.join(work, 'manifest.json'), JSON.stringify([{ Config: `${id}.json`, RepoTags: [spec.tag], Layers: layerFiles }]));
    mkdirSync(path.dirname(out), { recursive: true });
    execFileSync('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-C', work, '-cf', `${out}.tmp`, '.']);
    execFileSync('mv', ['-f', `${out}.tmp`, out]);
    writeFileSync(`${out}.id`, `sha256:${id}\n`);
    return `sha256:${id}`;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Copies a file to the same absolute path under root (following symlinks). */
function copyToRoot(root: string, file: string): void {
  const dest = path.join(root, file);
  mkdirSync(path.dirname(dest), { recursive: true });
  copyFileSync(file, dest);
}

/** The shared libraries an ELF binary loads, from ldd. */
function sharedLibraries(binary: string): string[] {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8' });
  const libs: string[] = [];
  for (const line of out.split('\n')) {
    const m = /(\/\S+)\s+\(0x/.exec(line);
    if (m?.[1] !== undefined) libs.push(m[1]);
  }
  if (libs.length === 0) throw new Error(`ldd found no libraries for ${binary}: ${out}`);
  return libs;
}

/**
 * The stand-in for gcr.io/distroless/nodejs24-debian12:nonroot: /nodejs/bin/node, the
 * libraries it links, and the passwd and group entries of distroless (root and nonroot).
 */
function nodeRuntimeLayer(dir: string): void {
  const node = path.join(REPO, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(node)) throw new Error(`${node} is missing: run npm ci first`);
  mkdirSync(path.join(dir, 'nodejs', 'bin'), { recursive: true });
  // Debug sections are most of the binary's 120 MB and nothing at run time reads them.
  execFileSync('strip', ['--strip-debug', '-o', path.join(dir, 'nodejs', 'bin', 'node'), node]);
  for (const lib of sharedLibraries(node)) copyToRoot(dir, lib);
  mkdirSync(path.join(dir, 'etc'), { recursive: true });
  writeFileSync(path.join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n');
  writeFileSync(path.join(dir, 'etc', 'group'), 'root:x:0:\nnonroot:x:65532:\n');
  mkdirSync(path.join(dir, 'home', 'nonroot'), { recursive: true });
  mkdirSync(path.join(dir, 'tmp'), { recursive: true });
  chmodSync(path.join(dir, 'tmp'), 0o1777);
}

/** What the Dockerfile's build stage makes, by the path it has there. */
function buildStageOutput(source: string, work: string): string {
  switch (source) {
    case '/src/package.json':
      return path.join(REPO, 'package.json');
    case '/src/dist': {
      const dist = path.join(REPO, 'dist', 'cli', 'main.js');
      if (!existsSync(dist)) throw new Error('dist/ is missing: run npm run build first');
      return path.join(REPO, 'dist');
    }
    case '/src/node_modules': {
      // The build stage's `npm ci` then `npm prune --omit=dev`: the same lockfile, only
      // production dependencies, no install scripts.
      const app = path.join(work, 'prod');
      mkdirSync(app, { recursive: true });
      copyFileSync(path.join(REPO, 'package.json'), path.join(app, 'package.json'));
      copyFileSync(path.join(REPO, 'package-lock.json'), path.join(app, 'package-lock.json'));
      execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: app, stdio: ['ignore', 'ignore', 'inherit'] });
      return path.join(app, 'node_modules');
    }
    default:
      throw new Error(`the Dockerfile copies ${source} from the build stage; hack/image/assemble.ts does not know how to make it`);
  }
}

/** The webhook image's spec, built in `work`. */
function webhookImage(tag: string, work: string): ImageSpec {
  const stage = parseFinalStage(readFileSync(path.join(REPO, 'Dockerfile'), 'utf8'));
  if (!stage.from.startsWith('gcr.io/distroless/nodejs24')) {
    throw new Error(`the final stage is FROM ${stage.from}; hack/image/assemble.ts stands in for distroless nodejs24 only`);
  }
  const runtime = path.join(work, 'runtime');
  nodeRuntimeLayer(runtime);
  const app = path.join(work, 'app');
  mkdirSync(path.join(app, stage.workdir), { recursive: true });
  for (const copy of stage.copies) {
    const source = copy.from === null ? path.join(REPO, copy.source) : buildStageOutput(copy.source, work);
    if (copy.from !== null && copy.from !== 'build') throw new Error(`COPY --from=${copy.from} is not the build stage`);
    cpSync(source, path.join(app, copy.dest), { recursive: true, dereference: true });
  }
  return {
    tag,
    layers: [runtime, app],
    config: {
      User: stage.user,
      WorkingDir: stage.workdir,
      Entrypoint: stage.entrypoint,
      Cmd: stage.cmd,
      ExposedPorts: Object.fromEntries(stage.exposedPorts.map((p) => [p, {}])),
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    },
  };
}

/** A root file system with the static busybox and a link for each of its applets. */
function busyboxLayer(dir: string): void {
  const busybox = '/bin/busybox';
  if (!existsSync(busybox)) throw new Error('/bin/busybox is missing (Debian package busybox-static)');
  mkdirSync(path.join(dir, 'bin'), { recursive: true });
  copyFileSync(busybox, path.join(dir, 'bin', 'busybox'));
  chmodSync(path.join(dir, 'bin', 'busybox'), 0o755);
  const applets = execFileSync(busybox, ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => /^[a-z0-9_.-]+$/.test(a) && a !== 'busybox');
  for (const applet of applets) symlinkSync('busybox', path.join(dir, 'bin', applet));
  for (const d of ['tmp', 'etc', 'proc', 'sys', 'dev']) mkdirSync(path.join(dir, d), { recursive: true });
  chmodSync(path.join(dir, 'tmp'), 0o1777);
  writeFileSync(path.join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  writeFileSync(path.join(dir, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
}

/** The images every real node holds, by file name: the sandbox image and the test image. */
export const BASE_IMAGES = {
  'pause.tar': 'hostport-guard.local/pause:1',
  'busybox.tar': 'hostport-guard.local/busybox:1',
} as const;

function baseImages(outDir: string, work: string): void {
  const rootfs = path.join(work, 'busybox');
  busyboxLayer(rootfs);
  // The sandbox only has to hold the pod's namespaces open and end on SIGTERM/SIGINT.
  const pause = ['/bin/sh', '-c', "trap 'exit 0' TERM INT; while :; do sleep 86400 & wait $!; done"];
  writeArchive({ tag: BASE_IMAGES['pause.tar'], layers: [rootfs], config: { Entrypoint: pause, WorkingDir: '/' } }, path.join(outDir, 'pause.tar'));
  writeArchive({ tag: BASE_IMAGES['busybox.tar'], layers: [rootfs], config: { Cmd: ['/bin/sh'], WorkingDir: '/', Env: ['PATH=/bin'] } }, path.join(outDir, 'busybox.tar'));
}

/** Every file under a path (or the path itself), sorted, for the input digest. */
function filesUnder(p: string): string[] {
  if (!existsSync(p)) return [];
  const files: string[] = [];
  const walk = (q: string): void => {
    const st = lstatSync(q);
    if (st.isDirectory()) {
      for (const e of readdirSync(q).sort()) walk(path.join(q, e));
    } else {
      files.push(q);
    }
  };
  walk(p);
  return files;
}

/**
 * A digest of everything the webhook image is made from: when it matches the one stored
 * beside the archive, the archive is current and assembling again would give the same id.
 */
function webhookInputsDigest(tag: string): string {
  const hash = createHash('sha256').update(tag);
  const inputs = ['Dockerfile', 'package.json', 'package-lock.json', 'bin', 'dist', 'hack/image/assemble.ts', 'node_modules/node/bin/node'];
  for (const input of inputs) {
    for (const file of filesUnder(path.join(REPO, input))) {
      hash.update(path.relative(REPO, file)).update('\0').update(readFileSync(file)).update('\0');
    }
  }
  return hash.digest('hex');
}

function main(args: readonly string[]): void {
  const [what, out, tag] = args;
  const work = mkdtempSync(path.join(tmpdir(), 'hpg-assemble-'));
  try {
    if (what === 'webhook' && out !== undefined) {
      const imageTag = tag ?? 'hostport-guard:dev';
      const inputs = webhookInputsDigest(imageTag);
      const current = existsSync(`${out}.inputs`) && existsSync(`${out}.id`) && existsSync(out) && readFileSync(`${out}.inputs`, 'utf8').trim() === inputs;
      const id = current ? readFileSync(`${out}.id`, 'utf8').trim() : writeArchive(webhookImage(imageTag, work), out);
      writeFileSync(`${out}.inputs`, `${inputs}\n`);
      process.stdout.write(`${id}\n`);
    } else if (what === 'base' && out !== undefined) {
      baseImages(out, work);
    } else {
      process.stderr.write('usage: node hack/image/assemble.ts webhook OUT.tar [TAG] | base OUT_DIR\n');
      process.exitCode = 2;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.main) main(process.argv.slice(2));
