// CEL compilation: what type-checks, what does not and why (with the
// position), and which values an expression pins for the index.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { celBindings, compileCel } from '../../src/rules/index.ts';
import { notification } from './helpers.ts';

function error(source: string): string {
  const c = compileCel(source);
  assert.equal(c.ok, false, `${source} should not compile`);
  return (c as { error: string }).error;
}

function pins(source: string): Record<string, string[]> {
  const c = compileCel(source);
  assert.ok(c.ok, `${source}: ${(c as { error?: string }).error}`);
  return Object.fromEntries(c.pins);
}

describe('compileCel', () => {
  it('accepts well-typed bool expressions', () => {
    for (const s of [
      'true',
      'reason == "x"',
      'count > 3 && count < 10.5',
      'count >= 3u',
      'has(labels.app) && labels.app.startsWith("w")',
      '"admins" in groups && "app" in labels',
      'groups.all(g, g.size() > 1)',
      'groups.exists_one(g, g == "x")',
      'groups.map(g, g.upperAscii()).exists(g, g == "X")',
      'groups.filter(g, g.contains("a")).size() == 0',
      'labels.exists(k, k.startsWith("app"))',
      'size(fields) == 0 || int(fields["restarts"]) > 3',
      'message.matches("(?i)out of memory")',
      '(state == "firing" ? count : 0) > 1',
      'type(count) == int',
      '[1, 2, 3].exists(x, x == count)',
      '{"a": 1}["a"] == 1',
      'dyn(reason) == "x"',
      'reason.split("/").size() == 2 && reason.lowerAscii() != ""',
      'null == null',
    ]) {
      const c = compileCel(s);
      assert.ok(c.ok, `${s}: ${(c as { error?: string }).error}`);
    }
  });

  it('rejects unknown names, type mismatches and non-bool results, with the position', () => {
    assert.equal(error('reasn == "x"'), "1:1: undeclared reference to 'reasn'");
    assert.equal(error('reason.startWith("x")'), "1:7: undeclared reference to 'startWith'");
    assert.equal(error('count.startsWith("x")'), "1:6: found no matching overload for 'startsWith' applied to 'int.(string)'");
    assert.equal(error('severity > 2'), "1:9: found no matching overload for '_>_' applied to '(string, int)'");
    assert.equal(error('count == "5"'), "1:6: found no matching overload for '_==_' applied to '(int, string)'");
    assert.equal(error('!reason'), "1:1: found no matching overload for '!_' applied to '(string)'");
    assert.equal(error('reason && true'), "1:1: found no matching overload for '_&&_' applied to '(string, bool)'");
    assert.equal(error('count.app == "x"'), "1:6: type 'int' does not support field selection");
    assert.equal(error('groups[0] == 1'), "1:10: found no matching overload for '_==_' applied to '(string, int)'");
    assert.equal(error('count.exists(x, x)'), "1:1: expression of type 'int' cannot be the range of a comprehension (must be list, map, or dynamic)");
    assert.equal(error('reason'), 'expected the expression to be bool, but it is string');
    assert.equal(error('count + 1'), 'expected the expression to be bool, but it is int');
    assert.equal(error('labels'), 'expected the expression to be bool, but it is map(string, string)');
    assert.equal(error('reason == "a" &&'), '1:15: found & but expecting end of input');
    assert.equal(error('namespace == "x"'), '1:1: reserved identifier (namespace is reserved in CEL: write ns or object.namespace)');
    // every error at once
    assert.equal(error('a == b'), "1:1: undeclared reference to 'a'; 1:6: undeclared reference to 'b'");
  });

  it('evaluates against bindings built once per notification', () => {
    const c = compileCel('kind == "Pod" && ns == "prod" && count == 4 && labels.app == "web"');
    assert.ok(c.ok);
    const b = celBindings(notification({ kind: 'Pod', ns: 'prod', count: 4, labels: { app: 'web' } }));
    assert.deepEqual(c.evaluate(b), { value: true });
    assert.deepEqual(c.evaluate({ ...b, count: 5n }), { value: false });
  });

  it('compiles each distinct expression once', () => {
    assert.equal(compileCel('reason == "cached"'), compileCel('reason == "cached"'));
  });

  it('pins variables that top-level && terms require', () => {
    assert.deepEqual(pins('reason == "OOMKilled"'), { reason: ['OOMKilled'] });
    assert.deepEqual(pins('"Pod" == kind && count > 2'), { kind: ['Pod'] });
    assert.deepEqual(pins('reason in ["A", "B"] && (ns == "x" && user == "u")'), { reason: ['A', 'B'], namespace: ['x'], user: ['u'] });
    assert.deepEqual(pins('object.namespace == "a" && object.kind == "Node"'), { namespace: ['a'], kind: ['Node'] });
    assert.deepEqual(pins('severity == "critical" && state == "firing" && eventType == "Warning" && detector == "d"'), { severity: ['critical'], state: ['firing'], eventType: ['Warning'], detector: ['d'] });
    // not pinned: alternatives, negations, non-constant or non-string sides, other variables, comprehension bodies
    assert.deepEqual(pins('reason == "A" || reason == "B"'), {});
    assert.deepEqual(pins('!(reason == "A")'), {});
    assert.deepEqual(pins('reason != "A"'), {});
    assert.deepEqual(pins('reason == name'), {});
    assert.deepEqual(pins('reason in [name, "A"]'), {});
    assert.deepEqual(pins('message == "A" && labels.app == "B"'), {});
    assert.deepEqual(pins('groups.exists(reason, reason == "A")'), {});
  });
});
