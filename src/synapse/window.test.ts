import { describe, expect, it } from 'vitest';
import { learningWindow } from './window.ts';

describe('learningWindow', () => {
  it('interpolates the level crossings around the peak', () => {
    const w = learningWindow([10, 20, 90, 110], [0, 0.9, 0.95, 0]);
    expect(w.aMin).toBeCloseTo(10 + (0.5 / 0.9) * 10, 9);
    expect(w.aMax).toBeCloseTo(110 - (0.5 / 0.95) * 20, 9);
    expect(w.ratio).toBeCloseTo(w.aMax! / w.aMin!, 12);
    expect(w.peak).toBe(0.95);
  });

  it('is empty when Δw/A never reaches the level', () => {
    const w = learningWindow([1, 2, 3], [0.1, 0.3, 0.2]);
    expect(w.aMin).toBeNull();
    expect(w.ratio).toBeNull();
    expect(w.peakAmplitude).toBe(2);
  });
});
