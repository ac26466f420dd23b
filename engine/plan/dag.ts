/**
 * The plan as a picture: indented text, Graphviz DOT or Mermaid. Shared nodes appear once, with all their ids; or,
 * collapsed, one box per group of nodes (a chain of the experiment, say), so that a sweep of hundreds of nodes fits
 * a screen.
 */
import type { Plan, PlanNode } from './graph.ts';

export type DagFormat = 'text' | 'dot' | 'mermaid';

interface Vertex {
  key: string;
  name: string;
  detail: string;
  note: string;
}
/** `label` on the arrow of a picture, `text` under its target in the text form. */
interface Edge {
  from: Vertex;
  to: Vertex;
  label: string;
  text: string;
}

export function renderDag(plan: Plan, format: DagFormat): string {
  const vertices = new Map(
    plan.nodes.map((n): [string, Vertex] => [
      n.sid,
      {
        key: n.sid,
        name: n.ids[0]!,
        detail: n.stage.name,
        note: n.ids.length > 1 ? `shared by ${n.ids.length}: ${n.ids.slice(1).join(', ')}` : '',
      },
    ]),
  );
  const edges = plan.nodes.flatMap((node) =>
    Object.entries(node.inputs).map(([input, ref]): Edge => {
      const from = vertices.get(ref.sid)!;
      return {
        from,
        to: vertices.get(node.sid)!,
        label: ref.output === input ? input : `${ref.output}→${input}`,
        text: `${input} ← ${from.name}.${ref.output}`,
      };
    }),
  );
  return render([...vertices.values()], edges, format);
}

/** One vertex per group (`groupOf` names each node's), with its node count and stages; an edge where one reads another. */
export function renderCollapsedDag(plan: Plan, format: DagFormat, groupOf: (node: PlanNode) => string): string {
  const members = new Map<string, PlanNode[]>();
  for (const node of plan.nodes) {
    const group = groupOf(node);
    members.set(group, [...(members.get(group) ?? []), node]);
  }
  const vertices = new Map(
    [...members].map(([group, nodes]): [string, Vertex] => {
      const stages = [...new Set(nodes.map((n) => n.stage.name))];
      return [
        group,
        {
          key: group,
          name: group,
          detail: `${nodes.length} node${nodes.length === 1 ? '' : 's'}`,
          note: stages.join(', '),
        },
      ];
    }),
  );
  const edges = new Map<string, Edge>();
  for (const node of plan.nodes) {
    for (const ref of Object.values(node.inputs)) {
      const [from, to] = [groupOf(plan.bySid.get(ref.sid)!), groupOf(node)];
      if (from !== to)
        edges.set(`${from}\n${to}`, { from: vertices.get(from)!, to: vertices.get(to)!, label: '', text: `← ${from}` });
    }
  }
  return render([...vertices.values()], [...edges.values()], format);
}

function render(vertices: Vertex[], edges: Edge[], format: DagFormat): string {
  const ids = new Map(vertices.map((v, i) => [v.key, `n${i}`]));
  if (format === 'dot') {
    const q = (s: string) => JSON.stringify(s);
    return [
      'digraph pipeline {',
      '  rankdir=LR;',
      '  node [shape=box, fontname="Helvetica"];',
      ...vertices.map((v) => `  ${ids.get(v.key)} [label=${q(`${v.name}\n${v.detail}`)}];`),
      ...edges.map(
        (e) => `  ${ids.get(e.from.key)} -> ${ids.get(e.to.key)}${e.label ? ` [label=${q(e.label)}]` : ''};`,
      ),
      '}',
      '',
    ].join('\n');
  }
  if (format === 'mermaid') {
    const label = (s: string) => s.replace(/"/g, '#quot;');
    return [
      'flowchart LR',
      ...vertices.map((v) => `  ${ids.get(v.key)}["${label(v.name)}<br/>${label(v.detail)}"]`),
      ...edges.map((e) => `  ${ids.get(e.from.key)} -->${e.label ? `|${label(e.label)}|` : ''} ${ids.get(e.to.key)}`),
      '',
    ].join('\n');
  }
  const lines: string[] = [];
  for (const vertex of vertices) {
    lines.push(`${vertex.name}  [${vertex.detail}]${vertex.note ? `  ${vertex.note}` : ''}`);
    for (const edge of edges.filter((e) => e.to === vertex)) lines.push(`    ${edge.text}`);
  }
  return lines.join('\n') + '\n';
}
