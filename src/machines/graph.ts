import type { AnyStateMachine } from 'xstate';
import { eventLabel, transitionsIn } from './mermaid.js';

/** One top-level state of a machine. */
export interface GraphState {
  readonly id: string;
  readonly final: boolean;
  readonly initial: boolean;
}

/** Every transition between two top-level states, merged. */
export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  /** The events that take it, in definition order (`after leaveTimeout` for a delay). */
  readonly events: readonly string[];
}

/** A machine's top-level states and transitions, for drawing it live. */
export interface MachineGraph {
  readonly id: string;
  /** In definition order. */
  readonly states: readonly GraphState[];
  readonly edges: readonly GraphEdge[];
}

/**
 * The top-level chart of `machine`, read from its definition the same way
 * the Mermaid diagrams are (root-level events drawn from every state they
 * apply in; transitions that do nothing left out), with the transitions
 * between the same two states merged into one edge. The inspector page
 * draws it.
 *
 * @example machineGraph(connectionMachine).states.map((s) => s.id)
 * // ['connecting', 'online', 'leaving', 'closed']
 */
export function machineGraph(machine: AnyStateMachine): MachineGraph {
  const root = machine.root;
  const initial = new Set(root.initial.target.map((node) => node.key));
  const edges = new Map<
    string,
    { from: string; to: string; events: string[] }
  >();
  const states = Object.values(root.states).map((node) => {
    for (const edge of transitionsIn(root, node)) {
      const { target = [], actions, guard } = edge[1];
      if (target.length === 0 && actions.length === 0 && !guard) continue;
      for (const to of target.length > 0 ? target : [node]) {
        // Only top-level states are drawn: a nested target counts as its top-level ancestor.
        const toKey = to.path[0] ?? to.key;
        const key = `${node.key}\u0000${toKey}`;
        const merged = edges.get(key) ?? {
          from: node.key,
          to: toKey,
          events: []
        };
        merged.events.push(eventLabel(edge));
        edges.set(key, merged);
      }
    }
    return {
      id: node.key,
      final: node.type === 'final',
      initial: initial.has(node.key)
    };
  });
  return { id: machine.id, states, edges: [...edges.values()] };
}
