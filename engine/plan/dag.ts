/**
 * The plan as a picture: indented text, Graphviz DOT or Mermaid. Shared nodes appear once, with all their ids.
 */
import type { Plan, PlanNode } from './graph.ts';

export type DagFormat = 'text' | 'dot' | 'mermaid';

export function renderDag(plan: Plan, format: DagFormat): string {
  const name = (node: PlanNode) => node.ids[0];
  const edges = plan.nodes.flatMap((node) => Object.entries(node.inputs).map(([input, ref]) => ({
    from: plan.bySid.get(ref.sid)!, to: node, label: ref.output === input ? input : `${ref.output}→${input}`,
  })));
  if (format === 'dot') {
    const q = (s: string) => JSON.stringify(s);
    return ['digraph pipeline {', '  rankdir=LR;', '  node [shape=box, fontname="Helvetica"];',
      ...plan.nodes.map((n) => `  ${q(n.sid)} [label=${q(`${name(n)}\n${n.stage.name}${n.ids.length > 1 ? ` (×${n.ids.length})` : ''}`)}];`),
      ...edges.map((e) => `  ${q(e.from.sid)} -> ${q(e.to.sid)} [label=${q(e.label)}];`), '}', ''].join('\n');
  }
  if (format === 'mermaid') {
    const label = (s: string) => s.replace(/"/g, '#quot;');
    return ['flowchart LR',
      ...plan.nodes.map((n) => `  n${n.sid}["${label(name(n))}<br/>${n.stage.name}${n.ids.length > 1 ? ` ×${n.ids.length}` : ''}"]`),
      ...edges.map((e) => `  n${e.from.sid} -->|${label(e.label)}| n${e.to.sid}`), ''].join('\n');
  }
  const lines: string[] = [];
  for (const node of plan.nodes) {
    lines.push(`${name(node)}  [${node.stage.name}]${node.ids.length > 1 ? `  shared by ${node.ids.length}: ${node.ids.slice(1).join(', ')}` : ''}`);
    for (const [input, ref] of Object.entries(node.inputs)) lines.push(`    ${input} ← ${name(plan.bySid.get(ref.sid)!)}.${ref.output}`);
  }
  return lines.join('\n') + '\n';
}
