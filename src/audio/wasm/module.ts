/**
 * What tolk's WebAssembly SIMD kernels share: instantiating a module from its committed base64,
 * one instance per process made on first use, and growing its linear memory. Each kernel module
 * exports its memory as `memory`.
 */

// Node has WebAssembly built in; the project's TypeScript libs (no DOM) do not describe it.
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
};

const PAGE = 65536;

/**
 * The exports of the module in `base64`; throws where it cannot be instantiated (no WebAssembly,
 * or no SIMD: validation rejects the module).
 */
export function instantiate<T extends { memory: WasmMemory }>(base64: string): T {
  const bytes = Buffer.from(base64, 'base64');
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as T;
}

/** Grows `memory` to at least `bytes`; true when it grew (views of its old buffer are then stale). */
export function ensureBytes(memory: WasmMemory, bytes: number): boolean {
  if (bytes <= memory.buffer.byteLength) return false;
  memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE));
  return true;
}

/**
 * The process's one instance of a kernel, made by `make` on first use; undefined where making it
 * throws (no WebAssembly, or no SIMD), and the callers then use their plain JavaScript loops.
 */
export function sharedInstance<T>(make: () => T): () => T | undefined {
  let instance: T | null | undefined;
  return () => {
    if (instance === undefined) {
      try {
        instance = make();
      } catch {
        instance = null;
      }
    }
    return instance ?? undefined;
  };
}
