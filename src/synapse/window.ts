/**
 * The learning window: the range of amplitudes A = |s_c - s_f| over which one cycle gives at least
 * `level` (default 1/2) of the ideal contrastive update, Δw/A >= level. Ideally it runs from
 * theta tau_f (the fast ramp passes the dead zone) to theta tau_s (the slow ramp starts to pass
 * too and cancels it), so A_max/A_min <= tau_s/tau_f.
 */

export interface LearningWindow {
  /** Smallest and largest A with Δw/A >= level (interpolated between samples); null when none. */
  aMin: number | null;
  aMax: number | null;
  /** A_max / A_min (null when the window is empty). */
  ratio: number | null;
  /** Largest Δw/A seen and where. */
  peak: number;
  peakAmplitude: number;
  level: number;
}

/**
 * Finds the window around the peak of Δw/A from samples sorted by amplitude.
 *
 *   learningWindow([10, 20, 90, 110], [0, 0.9, 0.95, 0])   // aMin ≈ 15.6, aMax ≈ 99.5
 */
export function learningWindow(amplitudes: ArrayLike<number>, dwPerAmplitude: ArrayLike<number>, level = 0.5): LearningWindow {
  const n = amplitudes.length;
  if (n !== dwPerAmplitude.length) throw new RangeError('amplitudes and dwPerAmplitude differ in length');
  let ip = 0;
  for (let i = 1; i < n; i++) if (dwPerAmplitude[i]! > dwPerAmplitude[ip]!) ip = i;
  const peak = n ? dwPerAmplitude[ip]! : 0;
  const base = { peak, peakAmplitude: n ? amplitudes[ip]! : 0, level };
  if (!n || !(peak >= level)) return { aMin: null, aMax: null, ratio: null, ...base };
  const cross = (i: number, j: number): number => {
    // Linear interpolation of the level crossing between samples i (below) and j (above).
    const qi = dwPerAmplitude[i]!;
    const qj = dwPerAmplitude[j]!;
    const f = (level - qi) / (qj - qi);
    return amplitudes[i]! + f * (amplitudes[j]! - amplitudes[i]!);
  };
  let lo = ip;
  while (lo > 0 && dwPerAmplitude[lo - 1]! >= level) lo--;
  let hi = ip;
  while (hi < n - 1 && dwPerAmplitude[hi + 1]! >= level) hi++;
  const aMin = lo > 0 ? cross(lo - 1, lo) : amplitudes[lo]!;
  const aMax = hi < n - 1 ? cross(hi + 1, hi) : amplitudes[hi]!;
  return { aMin, aMax, ratio: aMin > 0 ? aMax / aMin : null, ...base };
}
