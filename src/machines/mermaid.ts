import type { AnyStateMachine, AnyStateNode as Node } from 'xstate';

/** One transition of a state: the event it handles (`''` for `always`) and its definition. */
export type Edge = readonly [
  event: string,
  t: NonNullable<Node['always']>[number]
];

/** Mermaid id of a state: its path joined by `_`, e.g. `parent_child`. */
const idOf = (node: Node): string =>
  node.path.join('_').replace(/[^A-Za-z0-9_]/g, '_');

/** Mermaid ends a label at `:`, `;` or a newline. */
const clean = (text: string): string => text.replace(/[:;\n]/g, ' ');

const boxed = (n: Node): boolean => ['compound', 'parallel'].includes(n.type);

const list = (prefix: string, names: string[]): string[] =>
  names.length > 0 ? [`${prefix} ${names.join(', ')}`] : [];

/** Setup key of an action or guard; `not(isMember)` for higher-order ones. */
function nameOf(x: unknown): string {
  if (typeof x === 'string') return x;
  if (typeof x === 'function' && 'guards' in x && Array.isArray(x.guards)) {
    return `${x.name}(${x.guards.map(nameOf).join(', ')})`;
  }
  if (typeof x !== 'object' && typeof x !== 'function') return 'inline';
  if (x !== null && 'type' in x && typeof x.type === 'string') return x.type;
  return typeof x === 'function' && x.name !== '' ? x.name : 'inline';
}

/** Named actions: xstate's own (the raise/cancel behind `after`) are hidden. */
const actionNames = (actions: readonly unknown[]): string[] =>
  actions.map(nameOf).filter((n) => !n.startsWith('xstate.'));

/** `entry / a, b` and `exit / c`. */
const effects = (node: Node): string[] => [
  ...list('entry /', actionNames(node.entry)),
  ...list('exit /', actionNames(node.exit))
];

/** Invoked actors by source name; an inline source by its invoke id. */
const invokes = (node: Node): string[] =>
  list(
    'invokes',
    node.invoke.map(({ id, src }) =>
      typeof src === 'string' && !src.startsWith('xstate.') ? src : id
    )
  );

/** `tcp.end`, `after leaveTimeout`, `always`, `done.invoke.x`, … */
export function eventLabel([event, t]: Edge): string {
  if (!('delay' in t)) return event ? event.replace(/^xstate\./, '') : 'always';
  const d = t.delay; // the key of `after`: a delay's name, or a number of ms
  return typeof d === 'number' ? `after ${d}ms` : `after ${String(d)}`;
}

function label(edge: Edge): string {
  const { guard, actions } = edge[1];
  const when = guard === undefined ? '' : ` [${nameOf(guard)}]`;
  const effect = list(' /', actionNames(actions)).join('');
  return clean(`${eventLabel(edge)}${when}${effect}`);
}

/** Own transitions in definition order; `always` ones have event `''`. */
const edgesOf = (node: Node): Edge[] => [
  ...[...node.transitions].flatMap(([e, ts]) => ts.map((t): Edge => [e, t])),
  ...(node.always ?? []).map((t): Edge => ['', t])
];

/**
 * The transitions that apply in `node`, a child of `parent`: its own, then
 * the root's when `node` is a non-final top-level state without an unguarded
 * handler of its own for that event.
 */
export function transitionsIn(parent: Node, node: Node): Edge[] {
  const inherited =
    parent.parent === undefined && node.type !== 'final'
      ? edgesOf(parent).filter(
          ([e]) => !node.transitions.get(e)?.some((t) => !t.guard)
        )
      : [];
  return [...edgesOf(node), ...inherited];
}

/** The innermost of `from` and its ancestors that holds `to` inside it. */
function scopeOf(from: Node, to: Node): Node {
  const holds = from.path.every((key, i) => to.path[i] === key);
  return (holds && to.path.length > from.path.length) || !from.parent
    ? from
    : scopeOf(from.parent, to);
}

/**
 * Renders a machine as a Mermaid `stateDiagram-v2`, in definition order.
 *
 * A transition is `from --> to : event [guard] / action, action` (`after`
 * shows the delay's name); a targetless one is a self-loop, or an `ignores`
 * note if it does nothing. Root-level transitions are drawn from every
 * non-final top-level state without an unguarded handler of its own; nested
 * ones from their composite box. Entry/exit actions are description lines,
 * invoked actors a note; the root's go in its initial state's note.
 *
 * @example
 * writeFileSync('diagrams/room.mmd', toMermaid(roomMachine));
 */
export function toMermaid(machine: AnyStateMachine): string {
  const root = machine.root;
  const edges = new Map<Node, string[]>(); // by enclosing block
  const notes = new Map<Node, string[]>(); // by state
  const push = (map: Map<Node, string[]>, key: Node, ...lines: string[]) =>
    map.set(key, [...(map.get(key) ?? []), ...lines]);
  const first = root.initial.target[0] ?? Object.values(root.states)[0];
  if (first) {
    const facts = [...effects(root), ...invokes(root)];
    push(notes, first, ...facts.map((f) => `machine ${f}`));
  }

  const visit = (parent: Node): void => {
    for (const node of Object.values(parent.states)) {
      const ignored: string[] = [];
      // Mermaid draws only the last self-loop of a state
      // (mermaid-js/mermaid#6132): all of them go in one edge, drawn where
      // the first one is defined.
      const loops: string[] = [];
      const lines: Array<[scope: Node, line: string | null]> = [];
      for (const edge of transitionsIn(parent, node)) {
        const { target = [], actions, guard } = edge[1];
        if (target.length === 0 && actions.length === 0 && !guard) {
          ignored.push(eventLabel(edge));
          continue;
        }
        // Mermaid moves a state into the last block that names it, so an
        // edge goes in the innermost block that holds both ends.
        for (const to of target.length > 0 ? target : [node]) {
          if (to !== node) {
            lines.push([
              scopeOf(parent, to),
              `${idOf(node)} --> ${idOf(to)} : ${label(edge)}`
            ]);
          } else {
            if (loops.length === 0) lines.push([scopeOf(parent, node), null]);
            loops.push(label(edge));
          }
        }
      }
      const loop = `${idOf(node)} --> ${idOf(node)} : ${loops.join('<br/>')}`;
      for (const [scope, line] of lines) push(edges, scope, line ?? loop);
      const own = boxed(node) ? effects(node) : [];
      push(notes, node, ...own, ...invokes(node), ...list('ignores', ignored));
      visit(node);
    }
  };

  const block = (node: Node): string[] => {
    const children = Object.values(node.states);
    const out = node.initial.target.map((to) => `[*] --> ${idOf(to)}`);
    children.forEach((child, i) => {
      const id = idOf(child);
      // The first description is the box's title; without it an entry
      // action's line would replace the state's name.
      const described = effects(child).map((e) => `${id} : ${clean(e)}`);
      if (described.length > 0) described.unshift(`${id} : ${id}`);
      if (node.type === 'parallel' && i > 0) out.push('--');
      if (boxed(child)) out.push(`state ${id} {`, ...block(child), '}');
      else out.push(...(described.length > 0 ? described : [id]));
    });
    out.push(...(edges.get(node) ?? []));
    for (const child of children) {
      if (child.type === 'final') out.push(`${idOf(child)} --> [*]`);
      const facts = (notes.get(child) ?? []).map((f) => `  ${clean(f)}`);
      if (facts.length > 0) {
        out.push(`note right of ${idOf(child)}`, ...facts, 'end note');
      }
    }
    return out.map((line) => `  ${line}`);
  };

  visit(root);
  return ['stateDiagram-v2', ...block(root)].join('\n') + '\n';
}
