/**
 * The layering of src/, enforced on resolved paths rather than on import strings: an
 * import is resolved against the importing file, so `../engine/../cluster/x.js` is seen
 * for what it is. Imports flow one way,
 *
 *   cli -> server, cluster, config, manifests -> admission -> engine
 *
 * and the four folders of the middle layer do not import each other (each is the one way
 * in for one outside thing; the composition root in cli wires them together). yaml, which
 * reads YAML and JSON within limits, is a leaf that cli, config and manifests share.
 */
import path from 'node:path';

/** The src/ folders each src/ folder may import from, besides itself. */
export const LAYERS = {
  cli: ['server', 'cluster', 'config', 'manifests', 'admission', 'engine', 'yaml'],
  server: ['admission', 'engine'],
  cluster: ['admission', 'engine'],
  config: ['admission', 'engine', 'yaml'],
  manifests: ['admission', 'engine', 'yaml'],
  admission: ['engine'],
  engine: [],
  yaml: [],
};

const ORDER = 'cli -> server, cluster, config, manifests -> admission -> engine (and cli, config, manifests -> yaml)';

/** The first folder below src/ that `file` sits in, or undefined when it is not in src/. */
function layerOf(srcDir, file) {
  const relative = path.relative(srcDir, file);
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
  const [folder] = relative.split(path.sep);
  return relative.includes(path.sep) ? folder : undefined;
}

/** The module name of an import-like node, when it is a string literal. */
function specifierOf(node) {
  const source = node.type === 'TSImportType' ? node.argument?.literal : node.source;
  return source?.type === 'Literal' && typeof source.value === 'string' ? { text: source.value, node: source } : undefined;
}

/** An ESLint plugin with the one rule `layers/imports`; `srcDir` is the absolute path of src/. */
export function layersPlugin(srcDir) {
  const rule = {
    meta: {
      type: 'problem',
      docs: { description: 'src/ folders import only the layers below them' },
      schema: [],
      messages: {
        upward: 'src/{{from}} may not import src/{{to}}: imports flow {{order}} (DEVELOPERS.md)',
        unknown: 'src/{{to}} is in no layer: add it to LAYERS in eslint/layers.js and to DEVELOPERS.md',
        outside: 'src/{{from}} may not import {{target}}, outside src/',
      },
    },
    create(context) {
      const file = context.filename;
      const from = layerOf(srcDir, file);
      if (from === undefined) return {};
      const check = (node) => {
        const specifier = specifierOf(node);
        if (specifier === undefined || !specifier.text.startsWith('.')) return;
        const target = path.resolve(path.dirname(file), specifier.text);
        const to = layerOf(srcDir, target);
        if (to === undefined) {
          context.report({ node: specifier.node, messageId: 'outside', data: { from, target: path.relative(path.dirname(srcDir), target) } });
        } else if (!(to in LAYERS)) {
          context.report({ node: specifier.node, messageId: 'unknown', data: { to } });
        } else if (to !== from && !(LAYERS[from] ?? []).includes(to)) {
          context.report({ node: specifier.node, messageId: 'upward', data: { from, to, order: ORDER } });
        }
      };
      return {
        ImportDeclaration: check,
        ExportAllDeclaration: check,
        ExportNamedDeclaration: check,
        ImportExpression: check,
        TSImportType: check,
      };
    },
  };
  return { rules: { imports: rule } };
}
