/**
 * From node specs to a plan: structural identities, deduplication and dependency order. A node's structural
 * identity is known before anything runs (it names upstream nodes by identity, not by content), so dedupe,
 * seeds, `repro --dry`, `status` and `dag` all work on an empty store.
 *
 * A node's seed comes from the same identity without the code fingerprints: editing a stage's source reruns it and
 * what follows, but with the seeds it had, so a change that does not alter behaviour reproduces the same outputs
 * (and the nodes downstream of them are cache hits again).
 */
import { codeFingerprint } from './fingerprint.ts';
import { canonicalJson, hashJson } from '../store/hash.ts';
import type { Json, Stage } from '../stage.ts';

/** A node as a graph declares it; P is its stage's params type, which the slice must match. */
export interface NodeSpec<P extends Json = Json> {
  /** Human-readable, unique in a graph, e.g. 'train/balanced/lambda=0.5/seed=1/gen=3'. */
  id: string;
  stage: Stage<P>;
  /** The slice of params this node's stage depends on. */
  params: P;
  /** node = id of an upstream node in the same list. */
  inputs: Record<string, { node: string; output: string }>;
  tags?: Record<string, string | number>;
  /** The experiment seed mixed into the derived seed. */
  seedBase?: number | string;
  /**
   * How the stage runs (a backend, say), handed to it as ctx.runtime. It is in neither the structural identity nor
   * the cache key, so it is ignored when specs collapse into one node: the node runs with the first spec's.
   */
  runtime?: Record<string, Json>;
}

/** One unit of work: every spec with the same structural identity collapses into one PlanNode. */
export interface PlanNode {
  sid: string;
  /** All node ids sharing this identity, sorted; ids[0] names the node in messages. */
  ids: string[];
  stage: Stage<any>;
  params: Json;
  runtime: Record<string, Json>;
  code: string;
  seed: number;
  inputs: Record<string, { sid: string; output: string }>;
  /** Upstream sids (distinct) and downstream sids. */
  deps: string[];
  children: string[];
  tags: Record<string, Record<string, string | number>>;
}

export interface Plan {
  /** Dependency order: every node comes after its inputs. */
  nodes: PlanNode[];
  bySid: Map<string, PlanNode>;
  byId: Map<string, PlanNode>;
}

export function buildPlan(specs: readonly NodeSpec[]): Plan {
  const specById = new Map<string, NodeSpec>();
  for (const spec of specs) {
    if (specById.has(spec.id)) throw new Error(`graph: node id '${spec.id}' appears twice`);
    specById.set(spec.id, spec);
  }
  const sidOf = new Map<string, string>();
  const seedIdOf = new Map<string, string>();
  const bySid = new Map<string, PlanNode>();
  const order: PlanNode[] = [];
  const visiting = new Set<string>();

  // Depth-first from each spec: identities need upstream identities, and post-order is a dependency order.
  const visit = (spec: NodeSpec): string => {
    const known = sidOf.get(spec.id);
    if (known) return known;
    if (visiting.has(spec.id)) throw new Error(`graph: cycle through node '${spec.id}'`);
    visiting.add(spec.id);
    checkPorts(spec);
    const inputs: PlanNode['inputs'] = {};
    for (const [name, ref] of Object.entries(spec.inputs)) {
      const upstream = specById.get(ref.node);
      if (!upstream) throw new Error(`graph: node '${spec.id}' input '${name}' names unknown node '${ref.node}'`);
      if (!upstream.stage.outputs.includes(ref.output)) {
        throw new Error(
          `graph: node '${spec.id}' input '${name}' wants output '${ref.output}' that stage '${upstream.stage.name}' of '${ref.node}' does not declare`,
        );
      }
      inputs[name] = { sid: visit(upstream), output: ref.output };
    }
    const code = codeFingerprint(spec.stage.module);
    // canonicalJson names the offending key if the params slice holds NaN, Infinity or undefined.
    canonicalJson(spec.params, `${spec.id}.params`);
    const identity = { stage: spec.stage.name, params: spec.params, seedBase: spec.seedBase ?? null };
    const sid = hashJson({ ...identity, code, inputs });
    const seedInputs = Object.fromEntries(
      Object.entries(inputs).map(([name, i]) => [name, { seed: seedIdOf.get(i.sid)!, output: i.output }]),
    );
    seedIdOf.set(sid, hashJson({ ...identity, inputs: seedInputs }));
    visiting.delete(spec.id);
    sidOf.set(spec.id, sid);
    let node = bySid.get(sid);
    if (!node) {
      node = {
        sid,
        ids: [],
        stage: spec.stage,
        params: spec.params,
        runtime: spec.runtime ?? {},
        code,
        seed: parseInt(seedIdOf.get(sid)!.slice(0, 8), 16),
        inputs,
        deps: [...new Set(Object.values(inputs).map((i) => i.sid))],
        children: [],
        tags: {},
      };
      bySid.set(sid, node);
      order.push(node);
      for (const dep of node.deps) bySid.get(dep)!.children.push(sid);
    }
    node.ids.push(spec.id);
    node.tags[spec.id] = spec.tags ?? {};
    return sid;
  };
  for (const spec of specs) visit(spec);

  const byId = new Map<string, PlanNode>();
  for (const node of order) {
    node.ids.sort();
    for (const id of node.ids) byId.set(id, node);
  }
  return { nodes: order, bySid, byId };
}

function checkPorts(spec: NodeSpec): void {
  const declared = new Set([...spec.stage.inputs, ...(spec.stage.optionalInputs ?? [])]);
  const given = Object.keys(spec.inputs);
  const missing = spec.stage.inputs.filter((name) => !given.includes(name));
  const extra = given.filter((name) => !declared.has(name));
  if (missing.length || extra.length) {
    throw new Error(
      `graph: node '${spec.id}' of stage '${spec.stage.name}': ${missing.length ? `missing inputs ${missing.join(', ')}` : ''}${missing.length && extra.length ? '; ' : ''}${extra.length ? `undeclared inputs ${extra.join(', ')}` : ''}`,
    );
  }
}

/**
 * The nodes no other node of the plan can run beside: every other node is upstream or downstream of them (the
 * shared first training of a sweep, say). A property of the plan alone, not of what is cached or how many workers
 * run, so a stage that uses more cores when alone does so in every run of the plan.
 */
export function loneNodes(plan: Plan): Set<string> {
  const n = plan.nodes.length;
  const index = new Map(plan.nodes.map((node, i) => [node.sid, i]));
  const words = Math.ceil(n / 32);
  // related[i]: bitset of the nodes upstream of node i, then of those downstream (two passes in dependency order).
  const count = (neighbours: (i: number) => number[], order: number[]): Uint32Array[] => {
    const sets: Uint32Array[] = new Array(n);
    for (const i of order) {
      const set = new Uint32Array(words);
      for (const j of neighbours(i)) {
        const other = sets[j];
        for (let w = 0; w < words; w++) set[w] |= other[w];
        set[j >>> 5] |= 1 << (j & 31);
      }
      sets[i] = set;
    }
    return sets;
  };
  const order = plan.nodes.map((_, i) => i);
  const up = count((i) => plan.nodes[i].deps.map((sid) => index.get(sid)!), order);
  const down = count((i) => plan.nodes[i].children.map((sid) => index.get(sid)!), [...order].reverse());
  const bits = (set: Uint32Array): number =>
    set.reduce((total, word) => {
      let v = word - ((word >>> 1) & 0x55555555);
      v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
      return total + ((((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24);
    }, 0);
  return new Set(plan.nodes.filter((_, i) => bits(up[i]) + bits(down[i]) + 1 === n).map((node) => node.sid));
}

/** Every node downstream of `sids` (not including them). */
export function descendants(plan: Plan, sids: Iterable<string>): Set<string> {
  const out = new Set<string>();
  const stack = [...sids];
  while (stack.length) {
    for (const child of plan.bySid.get(stack.pop()!)!.children) {
      if (!out.has(child)) {
        out.add(child);
        stack.push(child);
      }
    }
  }
  return out;
}

/**
 * The cartesian product of a sweep over dotted key paths, e.g. { 'cycle.lambda': [0.25, 0.5], seed: [1, 2] }
 * gives four param sets. Keys vary in the order given, the last fastest.
 */
export function expandSweep(
  base: Json,
  sweep: Record<string, Json[]>,
): Array<{ params: Json; assignment: Record<string, Json> }> {
  let out: Array<{ params: Json; assignment: Record<string, Json> }> = [
    { params: structuredClone(base), assignment: {} },
  ];
  for (const [path, values] of Object.entries(sweep)) {
    if (!Array.isArray(values) || values.length === 0)
      throw new Error(`sweep: '${path}' needs a non-empty list of values`);
    out = out.flatMap(({ params, assignment }) =>
      values.map((value) => ({
        params: setPath(structuredClone(params), path, value),
        assignment: { ...assignment, [path]: value },
      })),
    );
  }
  return out;
}

/** Sets a dotted key path in a JSON object, creating objects on the way; returns the root. */
export function setPath(root: Json, path: string, value: Json): Json {
  const keys = path.split('.');
  if (root === null || typeof root !== 'object' || Array.isArray(root))
    throw new Error(`cannot set '${path}': the root is not an object`);
  let at: { [k: string]: Json } = root;
  for (const key of keys.slice(0, -1)) {
    const next = at[key];
    if (next === undefined) at = at[key] = {};
    else if (next !== null && typeof next === 'object' && !Array.isArray(next)) at = next;
    else throw new Error(`cannot set '${path}': '${key}' is not an object`);
  }
  at[keys[keys.length - 1]] = structuredClone(value);
  return root;
}

/** The value at a dotted key path of a JSON object (undefined where the path does not exist). */
export function getPath(root: Json, path: string): Json | undefined {
  let at: Json | undefined = root;
  for (const key of path.split('.')) {
    if (at === null || typeof at !== 'object' || Array.isArray(at)) return undefined;
    at = at[key];
  }
  return at;
}

/** Glob over node ids: '*' matches any run of characters ('/' included, so 'train/*' is every train node). */
export function globMatcher(glob: string): (id: string) => boolean {
  const pattern = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*+|\?/g, (m) => (m === '?' ? '.' : '.*'));
  const re = new RegExp(`^${pattern}$`);
  return (id) => re.test(id);
}
