// From a key path back to the line it was written on, so an error can say
// `kubeherald.yaml:12:` instead of leaving the reader to search.

import { type Document, isAlias, isMap, isScalar, isSeq, type LineCounter, type Node } from 'yaml';

/**
 * The 1-based line of the key at `path` (the key itself, not its value, so a
 * mapping's line is its key's). A path that does not exist — a required key
 * left out — gives the line of the nearest mapping that does.
 */
export function lineOf(doc: Document, lines: LineCounter, path: readonly PropertyKey[]): number | undefined {
  let node: unknown = doc.contents;
  let line = lineAt(node, lines);
  for (const seg of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === seg);
      if (!pair) return line;
      line = lineAt(pair.key, lines) ?? line;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
      node = node.items[seg];
      line = lineAt(node, lines) ?? line;
    } else {
      return line;
    }
  }
  return line;
}

function lineAt(node: unknown, lines: LineCounter): number | undefined {
  const range = (node as Node | null)?.range;
  return range ? lines.linePos(range[0]).line : undefined;
}
