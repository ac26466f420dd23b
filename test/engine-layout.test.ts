/**
 * The engine's rooms import only downward (docs/ARCHITECTURE.md, "The engine's layout"): the store knows no plan,
 * the plan no execution, the scheduler no transport. A new arrow upward fails here, not in a later refactor.
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ENGINE = fileURLToPath(new URL('../engine/', import.meta.url));

/** Each room and the rooms it may import besides itself; `stage` is engine/stage.ts, the stage contract. */
const MAY_IMPORT: Record<string, string[]> = {
  stage: [],
  store: ['stage'],
  plan: ['store', 'stage'],
  run: ['plan', 'store', 'stage'],
  transports: ['run', 'plan', 'store', 'stage'],
  remote: ['store'],
};

const roomOf = (file: string) =>
  relative(ENGINE, file).includes('/') ? relative(ENGINE, file).split('/')[0] : 'stage';

test('each engine room imports only the rooms below it, and nothing outside engine/ but common/', (t) => {
  const files = readdirSync(ENGINE, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(ENGINE, f));
  t.true(files.length > 20);
  const wrong: string[] = [];
  for (const file of files) {
    const room = roomOf(file);
    t.truthy(MAY_IMPORT[room], `${relative(ENGINE, file)}: a room the layout does not know`);
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(/(?:from |import\()'(\.[^']+)'/g)) {
      const target = join(dirname(file), spec);
      const inEngine = !relative(ENGINE, target).startsWith('..');
      const ok = inEngine
        ? [room, ...MAY_IMPORT[room]].includes(roomOf(target))
        : relative(ENGINE, target).startsWith('../common/');
      if (!ok) wrong.push(`${relative(ENGINE, file)} imports ${spec}`);
    }
  }
  t.deepEqual(wrong, []);
});
