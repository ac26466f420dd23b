/**
 * The backend names alone, without TensorFlow.js: the CLI lists them in `doctor --help` and must not pay the
 * second it takes to import tfjs to do so. model/backend.ts re-exports them.
 */
export type BackendName = 'tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'cpu';
export const BACKEND_ORDER: readonly BackendName[] = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'];
