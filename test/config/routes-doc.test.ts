// docs/routes.md's Reasons table and the README's detector table keep up
// with the detectors: a detector or a reason added without its row fails
// here, so a route author can find every reason a route can match.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DEFAULT_DETECTORS } from '../../src/detect/config.ts';
import { detectorReasons } from '../../src/detect/vocabulary.ts';

const routesDoc = readFileSync(new URL('../../docs/routes.md', import.meta.url), 'utf8');
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The text of a `## heading` section, up to the next heading of the same level. */
function section(doc: string, heading: string): string {
  const start = doc.indexOf(`\n${heading}\n`);
  if (start < 0) return '';
  const level = heading.split(' ')[0];
  const next = doc.indexOf(`\n${level} `, start + heading.length + 2);
  return doc.slice(start, next < 0 ? undefined : next);
}

/** A markdown table's body rows as cells (header and separator rows skipped). */
function rows(text: string): string[][] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('|') && !/^\|[-| ]+\|$/.test(l))
    .map((l) => l.slice(1, -1).split('|').map((c) => c.trim()))
    .slice(1);
}

const codes = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);

/** Reasons with no row naming them in the reason column, detectors with no row. */
function missing(doc: string): { reasons: string[]; detectors: string[] } {
  const table = rows(section(doc, '## Reasons'));
  const detectors = new Set(table.flatMap((r) => codes(r[0] ?? '')));
  const reasons = new Set(table.flatMap((r) => codes(r[1] ?? '')));
  return {
    reasons: detectorReasons(DEFAULT_DETECTORS).filter((r) => !reasons.has(r)),
    detectors: Object.keys(DEFAULT_DETECTORS).filter((d) => !detectors.has(d)),
  };
}

describe('docs/routes.md: Reasons', () => {
  it('has a row for every detector and names every reason the detectors give', () => {
    assert.deepEqual(missing(routesDoc), { reasons: [], detectors: [] });
  });

  it('fails when a reason or a detector loses its row', () => {
    const withoutHpa = routesDoc.split('\n').filter((l) => !l.startsWith('| `hpa` |')).join('\n');
    assert.deepEqual(missing(withoutHpa), { reasons: ['HPAMaxedOut', 'HPAUnableToScale'], detectors: ['hpa'] });
    assert.equal(missing(routesDoc.replace('\n## Reasons\n', '\n## Something else\n')).reasons.length, detectorReasons(DEFAULT_DETECTORS).length);
  });

  it('gives each row a severity and whether it resolves', () => {
    for (const r of rows(section(routesDoc, '## Reasons'))) {
      assert.match(r[2] ?? '', /^(critical|warning|info)$/, `severity of ${r[1]}`);
      assert.match(r[3] ?? '', /^(yes|no)\b/, `resolves of ${r[1]}`);
      assert.ok((r[4] ?? '').length > 0, `meaning of ${r[1]}`);
    }
  });

  it("says Kubernetes' own Event reasons are matchable, and where their list is", () => {
    const text = section(routesDoc, '## Reasons');
    assert.match(text, /KUBERNETES_EVENT_REASONS/);
    assert.match(text, /src\/detect\/vocabulary\.ts/);
  });
});

describe("README: the detector table", () => {
  it('has a row for every detector', () => {
    const table = rows(section(readme, '### What is watched and detected'));
    const named = new Set(table.flatMap((r) => codes(r[0] ?? '')));
    assert.deepEqual(Object.keys(DEFAULT_DETECTORS).filter((d) => !named.has(d)), []);
  });
});
