import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseFinalStage } from '../../../hack/image/assemble.js';

const REPO = path.resolve(import.meta.dirname, '../../..');

describe('the image assembler reads the Dockerfile', () => {
  it("takes the final stage's config and copies from the project's Dockerfile, as written there", () => {
    // Changing the Dockerfile's final stage changes this expectation on purpose: the
    // assembled image (make image-local) follows the Dockerfile, and this keeps a
    // reviewer looking at both.
    expect(parseFinalStage(readFileSync(path.join(REPO, 'Dockerfile'), 'utf8'))).toEqual({
      from: 'gcr.io/distroless/nodejs24-debian12:nonroot',
      workdir: '/app',
      user: '65532:65532',
      exposedPorts: ['8443/tcp', '8080/tcp'],
      entrypoint: ['/nodejs/bin/node', '/app/bin/hostport-guard.js'],
      cmd: ['serve', '--config', '/config/config.yaml'],
      copies: [
        { from: 'build', source: '/src/package.json', dest: '/app/package.json' },
        { from: 'build', source: '/src/node_modules', dest: '/app/node_modules' },
        { from: 'build', source: '/src/dist', dest: '/app/dist' },
        { from: null, source: 'bin', dest: '/app/bin' },
      ],
    });
  });

  it.each([
    ['a RUN in the final stage', 'FROM a\nRUN echo hi\n', 'the final stage uses RUN, which hack/image/assemble.ts does not carry out'],
    ['an ENV in the final stage', 'FROM a AS b\nFROM c\nENV X=1\n', 'the final stage uses ENV, which hack/image/assemble.ts does not carry out'],
    ['a shell-form ENTRYPOINT', 'FROM a\nENTRYPOINT node x.js\n', 'ENTRYPOINT must use the JSON exec form, got: node x.js'],
    ['a COPY of two sources', 'FROM a\nCOPY a b /x/\n', 'COPY with one source and no other flags expected, got: COPY a b /x/'],
    ['a COPY with --chown', 'FROM a\nCOPY --chown=1:1 a /x\n', 'COPY with one source and no other flags expected'],
    ['no FROM at all', '# nothing\n', 'the Dockerfile has no FROM'],
  ])('refuses %s rather than build a different image', (_name, dockerfile, message) => {
    expect(() => parseFinalStage(dockerfile)).toThrow(message);
  });

  it('reads continued lines, comments, relative WORKDIRs and EXPOSE protocols', () => {
    const stage = parseFinalStage('FROM build AS b\nRUN x\n\nFROM base\n# a comment\nWORKDIR /a\nWORKDIR b\nEXPOSE 53/udp \\\n  80\nCOPY --from=b \\\n  /o ./o\nUSER 1\n');
    expect(stage).toEqual({
      from: 'base',
      workdir: '/a/b',
      user: '1',
      exposedPorts: ['53/udp', '80/tcp'],
      entrypoint: [],
      cmd: [],
      copies: [{ from: 'b', source: '/o', dest: '/a/b/o' }],
    });
  });
});
