// loadMallocTrim on the real C library: memory freed with glibc's free() in the middle of its
// heap stays resident until malloc_trim hands it back, which is what the Whisper worker relies on.
import { describe, expect, test } from "bun:test";
import { dlopen, FFIType, type Pointer } from "bun:ffi";
import { readFileSync } from "node:fs";
import { loadMallocTrim } from "../../server/src/speech/whisper-malloc-trim";

/** The C library's own malloc, free and memset, or null where it is not glibc. */
function glibc() {
  if (process.platform !== "linux") return null;
  try {
    return dlopen("libc.so.6", {
      gnu_get_libc_version: { args: [], returns: FFIType.cstring },
      malloc: { args: [FFIType.u64], returns: FFIType.ptr },
      free: { args: [FFIType.ptr], returns: FFIType.void },
      memset: { args: [FFIType.ptr, FFIType.i32, FFIType.u64], returns: FFIType.ptr },
    }).symbols;
  } catch {
    return null;
  }
}

const libc = glibc();
const rssMiB = () => Number(readFileSync("/proc/self/status", "utf8").match(/VmRSS:\s+(\d+) kB/)?.[1]) / 1024;

describe("loadMallocTrim", () => {
  test.if(libc !== null)("on glibc, returns freed heap pages to the system", () => {
    const c = libc!;
    // 3,200 blocks of 64 KiB (under glibc's mmap threshold, so they come from the heap), each
    // written so that its pages are resident; the last one stays allocated, so the freed
    // ones sit below it and free() alone cannot shrink the heap.
    const blocks: Pointer[] = [];
    for (let i = 0; i < 3200; i++) {
      const block = c.malloc(64 * 1024) as Pointer;
      c.memset(block, 1, 64 * 1024);
      blocks.push(block);
    }
    const pin = blocks.pop() as Pointer;
    for (const block of blocks) c.free(block);
    const beforeTrim = rssMiB();

    const trim = loadMallocTrim();
    expect(trim()).toBe(true);
    const afterTrim = rssMiB();
    c.free(pin);
    expect(beforeTrim - afterTrim).toBeGreaterThan(150); // of the ~200 MiB freed
  });

  test("where the C library has no malloc_trim (musl, or no library at that name), trimming is a no-op that says so", () => {
    expect(loadMallocTrim("libc-that-is-not-here.so.6")()).toBe(false);
  });
});
