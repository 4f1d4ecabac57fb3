// glibc's malloc_trim(0), for the Whisper worker after each transcription. ONNX Runtime
// (native code) allocates its per-run buffers with the C library's malloc; glibc keeps what
// is freed in its arenas instead of giving it back to the system, so the server's resident
// memory grew by up to ~250 MiB over a few transcriptions with base q8 and swung by ~150 MiB
// from one to the next. malloc_trim(0) returns the free pages of every arena at once
// (docs/decisions/0020-whisper-memory.md). Elsewhere (macOS, musl, Windows) there is no
// such function to call, and trimming is a no-op.
import { dlopen, FFIType } from "bun:ffi";

export type MallocTrim = () => boolean;

const noTrim: MallocTrim = () => false;

/**
 * malloc_trim(0) where the process runs on glibc; a function that does nothing elsewhere.
 * `library` is the C library to look in: the one already mapped into the process by default
 * (the same allocator ONNX Runtime uses).
 */
export function loadMallocTrim(library = "libc.so.6"): MallocTrim {
  if (process.platform !== "linux") return noTrim;
  try {
    const libc = dlopen(library, { malloc_trim: { args: [FFIType.u64], returns: FFIType.i32 } });
    return () => libc.symbols.malloc_trim(0) === 1;
  } catch {
    return noTrim; // musl and other C libraries: no libc.so.6 or no malloc_trim
  }
}
