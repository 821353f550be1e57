import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { didYouMean, editDistance } from '../../src/config-kit/suggest.ts';

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and adjacent swaps as one edit each', () => {
    assert.equal(editDistance('color', 'color'), 0);
    assert.equal(editDistance('colr', 'color'), 1);
    assert.equal(editDistance('colour', 'color'), 1);
    assert.equal(editDistance('celor', 'color'), 1);
    assert.equal(editDistance('namepsaces', 'namespaces'), 1);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('kitten', 'sitting'), 3);
  });
});

describe('didYouMean', () => {
  const keys = ['cluster', 'watch', 'detectors', 'sinks', 'log'];
  it('finds a misspelt key', () => {
    assert.equal(didYouMean('clustr', keys), 'cluster');
    assert.equal(didYouMean('sink', keys), 'sinks');
    assert.equal(didYouMean('detector', keys), 'detectors');
    assert.equal(didYouMean('wacth', keys), 'watch');
  });

  it('ignores case, "-" and "_"', () => {
    assert.equal(didYouMean('in_cluster', ['inCluster', 'context']), 'inCluster');
    assert.equal(didYouMean('page-size', ['pageSize']), 'pageSize');
    assert.equal(didYouMean('CONSOLE', ['console', 'jsonl']), 'console');
  });

  it('takes a shortened or lengthened word for the one meant', () => {
    assert.equal(didYouMean('warning', ['trace', 'debug', 'info', 'warn', 'error']), 'warn');
    assert.equal(didYouMean('informational', ['trace', 'debug', 'info', 'warn', 'error']), 'info');
  });

  it('suggests nothing for a different word', () => {
    assert.equal(didYouMean('routes', keys), undefined);
    assert.equal(didYouMean('x', keys), undefined);
    assert.equal(didYouMean('slack', ['console', 'jsonl']), undefined);
  });
});
