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

/** More phases than this and the per-phase tables cost more than the direct method saves. */
const MAX_PHASES = 1024;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * Resamples `input` from `fromRate` to `toRate` Hz. Returns the input itself when the
 * rates are equal. Output length is round(input.length · toRate / fromRate).
 */
export function resample(input: Float32Array, fromRate: number, toRate: number): Float32Array {
  if (!(fromRate > 0 && toRate > 0)) throw new RangeError(`invalid sample rates ${fromRate} → ${toRate}`);
  if (fromRate === toRate) return input;

  const cutoff = Math.min(1, toRate / fromRate) * ROLLOFF; // in cycles per 2 input samples
  const kernel = {
    cutoff,
    halfWidth: ZERO_CROSSINGS / cutoff, // kernel reach, in input samples
    lobesPerSample: cutoff * TABLE_STEPS, // table index advance per input sample
    outLength: Math.round((input.length * toRate) / fromRate),
  };
  if (toRate === 2 * fromRate) return upsampleByTwo(input);
  if (Number.isInteger(fromRate) && Number.isInteger(toRate)) {
    const g = gcd(fromRate, toRate);
    if (toRate / g === 1) return decimate(input, fromRate / g, kernel);
    if (toRate / g <= MAX_PHASES) return resamplePolyphase(input, fromRate / g, toRate / g, kernel);
  }
  return resampleDirect(input, fromRate / toRate, kernel);
}

interface Kernel {
  cutoff: number;
  halfWidth: number;
  lobesPerSample: number;
  outLength: number;
}

/** The kernel at `distance` input samples from the output point, scaled by the cutoff. */
function weight(distance: number, kernel: Kernel): number {
  const pos = distance * kernel.lobesPerSample;
  const k = pos | 0;
  if (k >= ZERO_CROSSINGS * TABLE_STEPS) return 0;
  const frac = pos - k;
  return ((kernelTable[k] as number) + ((kernelTable[k + 1] as number) - (kernelTable[k] as number)) * frac) * kernel.cutoff;
}

/** Any ratio: each output sample evaluates its taps from the table. */
function resampleDirect(input: Float32Array, step: number, kernel: Kernel): Float32Array {
  const output = new Float32Array(kernel.outLength);
  const last = input.length - 1;
  for (let n = 0; n < kernel.outLength; n++) {
    const center = n * step;
    const first = Math.max(0, Math.ceil(center - kernel.halfWidth));
    const end = Math.min(last, Math.floor(center + kernel.halfWidth));
    let acc = 0;
    for (let i = first; i <= end; i++) acc += (input[i] as number) * weight(Math.abs(i - center), kernel);
    output[n] = acc;
  }
  return output;
}

/**
 * Rational ratio up/down (8 kHz → 16 kHz is 2/1, 44.1 kHz → 16 kHz is 160/441): output
 * points fall on `up` distinct offsets between input samples, so each offset's taps are
 * computed once and reused. Same kernel as resampleDirect, several times faster.
 */
function resamplePolyphase(input: Float32Array, down: number, up: number, kernel: Kernel): Float32Array {
  const reach = Math.ceil(kernel.halfWidth);
  const taps = 2 * reach + 2; // offsets -reach … reach+1 around the input sample before the point
  const phases = new Float32Array(up * taps);
  for (let phase = 0; phase < up; phase++) {
    const frac = phase / up;
    for (let j = -reach; j <= reach + 1; j++) phases[phase * taps + j + reach] = weight(Math.abs(j - frac), kernel);
  }
  const output = new Float32Array(kernel.outLength);
  const last = input.length - 1;
  for (let n = 0; n < kernel.outLength; n++) {
    const position = n * down;
    const phase = position % up;
    const base = (position - phase) / up;
    const row = phase * taps;
    const start = base - reach;
    let acc = 0;
    if (start >= 0 && start + taps - 1 <= last) {
      for (let t = 0; t < taps; t++) acc += (input[start + t] as number) * (phases[row + t] as number);
    } else {
      for (let t = 0; t < taps; t++) {
        const i = start + t;
        if (i >= 0 && i <= last) acc += (input[i] as number) * (phases[row + t] as number);
      }
    }
    output[n] = acc;
  }
  return output;
}

/**
 * Half-band kernel for exact 2× upsampling (the Noa app's 8 kHz → 16 kHz): the windowed sinc
 * cut at the input's own Nyquist frequency is zero at every other output sample, so the
 * even outputs are the input samples themselves and only the odd ones are filtered, with a
 * symmetric kernel: HALF_BAND_TAPS multiplies per output pair instead of 2·34 in the
 * polyphase path (about 4× faster). Kaiser β 8.6 over ±HALF_BAND_TAPS input samples: the
 * passband is flat to 0.02 dB up to 3.2 kHz (at 8 kHz in; 3.5 kHz is −0.07 dB, where the
 * polyphase kernel's 0.94 roll-off gives −1.1 dB) and mirror images above 4.8 kHz stay
 * under −80 dB. A half-band filter is −6 dB at the input's Nyquist frequency by
 * construction, so images within ~0.5 kHz of 4 kHz are suppressed less (4.5 kHz: −41 dB
 * against −70 dB); narrowband recordings carry little there and Whisper does not notice.
 */
const HALF_BAND_TAPS = 16;
const halfBandKernel: Float64Array = (() => {
  const kernel = new Float64Array(HALF_BAND_TAPS);
  const norm = besselI0(KAISER_BETA);
  for (let j = 0; j < HALF_BAND_TAPS; j++) {
    const t = j + 0.5; // distance from the odd output point to input samples n-j and n+1+j
    const r = t / (HALF_BAND_TAPS + 0.5);
    kernel[j] = ((Math.sin(Math.PI * t) / (Math.PI * t)) * besselI0(KAISER_BETA * Math.sqrt(1 - r * r))) / norm;
  }
  // Normalise so a constant input stays constant at the odd points too.
  let sum = 0;
  for (let j = 0; j < HALF_BAND_TAPS; j++) sum += 2 * (kernel[j] as number);
  for (let j = 0; j < HALF_BAND_TAPS; j++) kernel[j] = (kernel[j] as number) / sum;
  return kernel;
})();

function upsampleByTwo(input: Float32Array): Float32Array {
  const length = input.length;
  const output = new Float32Array(2 * length);
  const h = halfBandKernel;
  for (let n = 0; n < length; n++) {
    output[2 * n] = input[n] as number;
    let acc = 0;
    if (n >= HALF_BAND_TAPS - 1 && n + HALF_BAND_TAPS < length) {
      for (let j = 0; j < HALF_BAND_TAPS; j++) acc += (h[j] as number) * ((input[n - j] as number) + (input[n + 1 + j] as number));
    } else {
      for (let j = 0; j < HALF_BAND_TAPS; j++) {
        const left = n - j;
        const right = n + 1 + j;
        acc += (h[j] as number) * ((left >= 0 ? (input[left] as number) : 0) + (right < length ? (input[right] as number) : 0));
      }
    }
    output[2 * n + 1] = acc;
  }
  return output;
}

/**
 * Integer decimation (48 kHz → 16 kHz is ÷3): every output point sits on an input sample,
 * so the kernel is symmetric about it and each pair of taps shares one multiply. Same
 * kernel and length as the polyphase path, about half its multiplies.
 */
function decimate(input: Float32Array, factor: number, kernel: Kernel): Float32Array {
  const reach = Math.floor(kernel.halfWidth);
  const h = new Float64Array(reach + 1);
  for (let k = 0; k <= reach; k++) h[k] = weight(k, kernel);
  const output = new Float32Array(kernel.outLength);
  const last = input.length - 1;
  for (let n = 0; n < kernel.outLength; n++) {
    const center = n * factor;
    let acc = center <= last ? (h[0] as number) * (input[center] as number) : 0;
    if (center - reach >= 0 && center + reach <= last) {
      for (let k = 1; k <= reach; k++) acc += (h[k] as number) * ((input[center - k] as number) + (input[center + k] as number));
    } else {
      for (let k = 1; k <= reach; k++) {
        const left = center - k;
        const right = center + k;
        acc += (h[k] as number) * ((left >= 0 && left <= last ? (input[left] as number) : 0) + (right <= last ? (input[right] as number) : 0));
      }
    }
    output[n] = acc;
  }
  return output;
}
