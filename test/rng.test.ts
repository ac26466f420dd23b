import test from 'ava';
import { Rng } from '../common/rng.ts';

test('same seed gives the same stream; different seeds differ', (t) => {
  const a = new Rng(42);
  const b = new Rng(42);
  const c = new Rng(43);
  const xs = Array.from({ length: 100 }, () => a.nextUint32());
  t.deepEqual(
    xs,
    Array.from({ length: 100 }, () => b.nextUint32()),
  );
  t.notDeepEqual(
    xs,
    Array.from({ length: 100 }, () => c.nextUint32()),
  );
});

test('state round trip continues the same stream', (t) => {
  const a = new Rng('some cache key');
  for (let i = 0; i < 17; i++) a.next();
  const b = Rng.fromState(a.state());
  t.deepEqual(
    Array.from({ length: 50 }, () => a.next()),
    Array.from({ length: 50 }, () => b.next()),
  );
});

test('int is uniform enough and in range; sample draws distinct items', (t) => {
  const r = new Rng(7);
  const counts = new Array(8).fill(0);
  for (let i = 0; i < 80_000; i++) counts[r.int(8)]++;
  for (const c of counts) t.true(Math.abs(c - 10_000) < 500, `bucket count ${c}`);
  const picked = r.sample([...Array(100).keys()], 30);
  t.is(new Set(picked).size, 30);
  t.throws(() => r.int(0), { message: /positive integer/ });
});
