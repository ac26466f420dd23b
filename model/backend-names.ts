/**
 * The backend names, apart from backend.ts so that params validation and `doctor --help` can list them without
 * loading TensorFlow.js (a second of start-up).
 * BACKEND_ORDER is the order `auto` tries them in.
 */
export const BACKEND_ORDER = ['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_ORDER)[number];

/** Backends whose tensors live in GPU memory: training keeps its state there (train-device.ts). */
export const GPU_BACKENDS: ReadonlySet<BackendName> = new Set(['tfjs-node-gpu', 'webgpu']);
