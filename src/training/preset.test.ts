import { describe, expect, it } from 'vitest';
import { TclError } from '../errors.ts';
import { validatePreset, type Preset } from './preset.ts';
import { listPresets, loadPreset } from './preset-files.ts';

const paper = () => structuredClone(loadPreset('mnist-784-500-10')) as Preset & Record<string, unknown>;

describe('preset nudging', () => {
  it("older presets' randomSign still loads: true → 'random-sign', false → 'positive'", () => {
    for (const [flag, nudging] of [[true, 'random-sign'], [false, 'positive']] as const) {
      const raw = paper();
      delete raw.ep.nudging;
      delete raw.tcl.nudging;
      raw.ep.randomSign = flag;
      raw.tcl.randomSign = flag;
      const p = validatePreset(raw);
      expect(p.ep.nudging).toBe(nudging);
      expect(p.tcl.nudging).toBe(nudging);
      expect(p.ep.randomSign).toBeUndefined();
    }
  });

  it("a preset without either key gets the paper's random sign", () => {
    const raw = paper();
    delete raw.ep.nudging;
    expect(validatePreset(raw).ep.nudging).toBe('random-sign');
  });

  it('an unknown nudging or a randomSign that contradicts nudging is one clear error', () => {
    const bad = paper();
    (bad.tcl as { nudging: string }).nudging = 'symmetric';
    expect(() => validatePreset(bad)).toThrow(TclError);
    expect(() => validatePreset(bad)).toThrow(/'tcl.nudging' must be one of random-sign, positive, negative, centered/);
    const both = paper();
    both.ep.nudging = 'centered';
    both.ep.randomSign = true;
    expect(() => validatePreset(both)).toThrow(/contradicts 'ep.nudging'/);
  });

  it('every shipped preset names its nudging', () => {
    for (const name of listPresets()) {
      const p = loadPreset(name);
      expect(['random-sign', 'centered']).toContain(p.ep.nudging);
      expect(['random-sign', 'centered']).toContain(p.tcl.nudging);
    }
  });
});
