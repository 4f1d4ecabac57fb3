// Band-limited resampling with a Kaiser-windowed sinc kernel, read from a finely sampled
// table with linear interpolation (the classic "bandlimited interpolation" method), so any
// rate ratio works at the cost of a few multiply-adds per tap.
//
// When downsampling the kernel is widened by the ratio so it is also the anti-aliasing
// low-pass: energy above the new Nyquist frequency is removed, not folded back.

const ZERO_CROSSINGS = 16; // kernel half-width in (cutoff-scaled) sinc lobes
const TABLE_STEPS = 512; // table entries per lobe; linear interpolation between them
const ROLLOFF = 0.94; // cutoff as a fraction of the lower Nyquist frequency
const KAISER_BETA = 8.6; // ~ -90 dB side lobes

/** Zeroth-order modified Bessel function of the first kind (series form). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 50; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

/** Kernel values at t = i / TABLE_STEPS lobes, i = 0 … ZERO_CROSSINGS·TABLE_STEPS (+1 guard). */
const kernelTable: Float32Array = (() => {
  const n = ZERO_CROSSINGS * TABLE_STEPS;
  const table = new Float32Array(n + 2);
  const norm = besselI0(KAISER_BETA);
  for (let i = 0; i <= n; i++) {
    const t = i / TABLE_STEPS;
    const sinc = i === 0 ? 1 : Math.sin(Math.PI * t) / (Math.PI * t);
    const r = t / ZERO_CROSSINGS;
    table[i] = (sinc * besselI0(KAISER_BETA * Math.sqrt(Math.max(0, 1 - r * r)))) / norm;
  }
  return table;
})();

/**
 * Resamples `input` from `fromRate` to `toRate` Hz. Returns the input itself when the
 * rates are equal. Output length is round(input.length · toRate / fromRate).
 */
export function resample(input: Float32Array, fromRate: number, toRate: number): Float32Array {
  if (!(fromRate > 0 && toRate > 0)) throw new RangeError(`invalid sample rates ${fromRate} → ${toRate}`);
  if (fromRate === toRate) return input;

  const step = fromRate / toRate; // input samples per output sample
  const cutoff = Math.min(1, toRate / fromRate) * ROLLOFF; // in cycles per 2 input samples
  const halfWidth = ZERO_CROSSINGS / cutoff; // kernel reach, in input samples
  const lobesPerSample = cutoff * TABLE_STEPS; // table index advance per input sample
  const outLength = Math.round((input.length * toRate) / fromRate);
  const output = new Float32Array(outLength);
  const last = input.length - 1;
  const tableEnd = ZERO_CROSSINGS * TABLE_STEPS;

  for (let n = 0; n < outLength; n++) {
    const center = n * step;
    const first = Math.max(0, Math.ceil(center - halfWidth));
    const end = Math.min(last, Math.floor(center + halfWidth));
    let acc = 0;
    for (let i = first; i <= end; i++) {
      const pos = Math.abs(i - center) * lobesPerSample;
      const k = pos | 0;
      if (k >= tableEnd) continue;
      const frac = pos - k;
      const h = (kernelTable[k] as number) + ((kernelTable[k + 1] as number) - (kernelTable[k] as number)) * frac;
      acc += (input[i] as number) * h;
    }
    output[n] = acc * cutoff;
  }
  return output;
}
