/**
 * A sweep spec: one JSON file that says which runs an experiment is (as the Holomorphic-EP and
 * PCX repos keep one hyperparameter file per experiment), checked whole before anything runs.
 *
 *   { "name": "dead-zone",
 *     "base": { "dataset": "mnist", "split": "paper", "trainSize": 2000, "testSize": 500, "epochs": 2 },
 *     "grid": { "method": ["tcl"], "deadZone": ["fixed", "quantile:0.99"], "seed": [0, 1, 2] } }
 *
 * Keys are `train`'s options in camelCase. The runs are base × (each entry of the optional `runs`
 * list, a partial config with an optional `label`) × the cartesian product of `grid` (its last
 * key varying fastest). A run's id names the keys that vary across the sweep; its group is its
 * configuration without the seed (the runs a mean ± sd is taken over).
 */
import fs from 'node:fs';
import path from 'node:path';
import { datasetNames, SPLITS } from '../data/index.ts';
import { TclError } from '../errors.ts';
import * as presets from '../training/preset.ts';
import { parseDeadZone, parseLrSchedule } from '../training/preset.ts';
import { loadPreset } from '../training/preset-files.ts';
import { resolvePreset } from '../training/train.ts';
import { METHODS } from '../training/types.ts';
import type { RunConfig, RunJob } from './types.ts';

export type SpecValue = string | number | boolean;

/** One entry of a spec's `runs` list: a partial configuration, with an optional `label` for its group in tables and plots. */
export type SpecRun = RunConfig & { label?: string };

export interface SweepSpec {
  name: string;
  /** Settings every run shares. */
  base: RunConfig;
  /** Explicit configurations (e.g. compare's methods and the reversed-sawtooth control), each crossed with the grid. */
  runs?: SpecRun[];
  /** Key → the values it takes; the runs are the cartesian product. */
  grid: Record<string, SpecValue[]>;
}

type Check = (v: unknown, where: string) => SpecValue;

const choice =
  (values: readonly string[]): Check =>
  (v, where) => {
    if (typeof v !== 'string' || !values.includes(v)) throw new TclError(`${where}: expected one of ${values.join(', ')}, got ${JSON.stringify(v)}`);
    return v;
  };

const int =
  (min: number): Check =>
  (v, where) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new TclError(`${where}: expected an integer >= ${min}, got ${JSON.stringify(v)}`);
    return v;
  };

const str: Check = (v, where) => {
  if (typeof v !== 'string' || !v) throw new TclError(`${where}: expected a non-empty string, got ${JSON.stringify(v)}`);
  return v;
};

/** The keys a spec may set (train's options, camelCase) and how each value is checked. */
const KEYS: Record<string, Check> = {
  method: choice(METHODS),
  model: (v, where) => {
    const s = str(v, where) as string;
    try {
      loadPreset(s);
    } catch (e) {
      throw new TclError(`${where}: ${(e as Error).message}`);
    }
    return s;
  },
  dataset: str, // checked against the registry in validateSpec (async)
  dataDir: (v, where) => {
    const s = str(v, where) as string;
    if (!fs.existsSync(s) || !fs.statSync(s).isDirectory()) throw new TclError(`${where}: ${s} is not a directory`);
    return s;
  },
  split: choice(SPLITS),
  trainSize: int(1),
  testSize: int(1),
  epochs: int(1),
  batchSize: int(1),
  seed: int(0),
  checkpointEvery: int(1),
  protocol: choice(['sawtooth', 'reversed', 'triangle']),
  tclUpdate: choice(['fast', 'faithful']),
  deadZone: (v, where) => {
    parseDeadZone(str(v, where) as string, where);
    return v as string;
  },
  cycle: choice(['authors', 'continuous']),
  lrSchedule: (v, where) => {
    parseLrSchedule(str(v, where) as string, where);
    return v as string;
  },
  nudging: (v, where) => {
    // The nudging variants (random-sign, positive, negative, centered) arrive with issue 16's NUDGINGS.
    const known = (presets as unknown as { NUDGINGS?: readonly string[] }).NUDGINGS;
    if (!known) throw new TclError(`${where}: this version of tfjs-tcl has no nudging variants`);
    return choice(known)(v, where);
  },
  evalTrain: (v, where) => {
    if (typeof v !== 'boolean') throw new TclError(`${where}: expected true or false, got ${JSON.stringify(v)}`);
    return v;
  },
};

/** Most runs one spec may expand to. */
export const MAX_RUNS = 100_000;

/** Keys a spec may use, in the order the docs list them. */
export const SPEC_KEYS: readonly string[] = Object.keys(KEYS);

const camel = (k: string) => k.replace(/[-_]([a-z])/g, (_, c: string) => c.toUpperCase());

const isKey = (k: string) => Object.hasOwn(KEYS, k);

function checkKey(key: string, where: string): void {
  if (isKey(key)) return;
  const hint = isKey(camel(key)) ? ` (did you mean '${camel(key)}'?)` : key === 'out' || key === 'resume' ? ' (the sweep sets each run’s directory itself)' : '';
  throw new TclError(`${where}: unknown key '${key}'${hint} (known: ${SPEC_KEYS.join(', ')})`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A config object's keys and values checked; model paths resolved against `baseDir`. */
function checkConfig(raw: unknown, where: string, baseDir: string, allowLabel = false): { config: RunConfig; label?: string } {
  if (!isObject(raw)) throw new TclError(`${where}: expected an object of settings, got ${JSON.stringify(raw)}`);
  const config: RunConfig = {};
  let label: string | undefined;
  for (const [k, v] of Object.entries(raw)) {
    if (allowLabel && k === 'label') {
      label = str(v, `${where}.label`) as string;
      continue;
    }
    checkKey(k, where);
    config[k] = KEYS[k](resolvePath(k, v, baseDir), `${where}.${k}`);
  }
  return { config, label };
}

/** A preset or data path in a spec is relative to the spec file, like an include. */
function resolvePath(key: string, v: unknown, baseDir: string): unknown {
  if (typeof v !== 'string') return v;
  if (key === 'dataDir' || (key === 'model' && (v.endsWith('.json') || v.includes('/')))) return path.resolve(baseDir, v);
  return v;
}

/**
 * Checks a parsed spec JSON: top-level keys, every key and value of base, runs and grid (each
 * with the existing parsers), a key set twice, dataset names, and that every run's preset
 * resolves. Throws a one-line TclError naming the key and where it sits (`base.deadZone`,
 * `grid.seed[2]`). `where` prefixes the messages (the file name); `baseDir` resolves relative
 * preset and data paths (the spec file's directory).
 *
 *   const spec = await validateSpec(JSON.parse(text), { where: 'dead-zone.json', baseDir: 'experiments' });
 */
export async function validateSpec(raw: unknown, opts: { where?: string; baseDir?: string } = {}): Promise<SweepSpec> {
  const file = opts.where ?? 'spec';
  const baseDir = opts.baseDir ?? process.cwd();
  if (!isObject(raw)) throw new TclError(`${file}: a sweep spec is a JSON object {name, base, grid}`);
  for (const k of Object.keys(raw)) {
    if (!['name', 'base', 'grid', 'runs'].includes(k)) throw new TclError(`${file}: unknown top-level key '${k}' (expected name, base, runs, grid)`);
  }
  const name = raw.name === undefined ? 'sweep' : (str(raw.name, `${file}: name`) as string);
  const base = checkConfig(raw.base ?? {}, `${file}: base`, baseDir).config;
  let runs: SpecRun[] | undefined;
  if (raw.runs !== undefined) {
    if (!Array.isArray(raw.runs) || raw.runs.length === 0) throw new TclError(`${file}: runs: expected a non-empty list of settings`);
    runs = raw.runs.map((r, i) => {
      const { config, label } = checkConfig(r, `${file}: runs[${i}]`, baseDir, true);
      for (const k of Object.keys(config)) if (k in base) throw new TclError(`${file}: runs[${i}].${k}: also set in base (set each key in one place)`);
      return label === undefined ? config : { label, ...config };
    });
  }
  const rawGrid = raw.grid ?? {};
  if (!isObject(rawGrid)) throw new TclError(`${file}: grid: expected an object of key → list of values`);
  const grid: Record<string, SpecValue[]> = {};
  for (const [k, vs] of Object.entries(rawGrid)) {
    const where = `${file}: grid`;
    checkKey(k, where);
    if (!Array.isArray(vs) || vs.length === 0) throw new TclError(`${where}.${k}: expected a non-empty list of values`);
    grid[k] = vs.map((v, i) => KEYS[k](resolvePath(k, v, baseDir), `${where}.${k}[${i}]`));
    const dup = grid[k].find((v, i) => grid[k].indexOf(v) !== i);
    if (dup !== undefined) throw new TclError(`${where}.${k}: value ${JSON.stringify(dup)} listed twice`);
    if (k in base) throw new TclError(`${where}.${k}: also set in base (set each key in one place)`);
    runs?.forEach((r, i) => {
      if (k in r) throw new TclError(`${where}.${k}: also set in runs[${i}] (set each key in one place)`);
    });
  }
  const spec: SweepSpec = runs ? { name, base, runs, grid } : { name, base, grid };
  // Counted before expanding: a grid's product can be astronomically large.
  const count = Object.values(grid).reduce((n, vs) => n * vs.length, runs?.length ?? 1);
  if (count > MAX_RUNS) throw new TclError(`${file}: grid: ${count.toPrecision(3)} runs, more than ${MAX_RUNS} (split the study into several specs)`);
  const configs = expandConfigs(spec);
  const known = await datasetNames();
  for (const c of configs) {
    if (c.config.dataset !== undefined && !known.includes(String(c.config.dataset))) {
      throw new TclError(`${file}: dataset: unknown dataset '${c.config.dataset}' (known: ${known.join(', ')})`);
    }
    if (c.config.dataset === 'idx' && c.config.dataDir === undefined) throw new TclError(`${file}: dataset 'idx' needs dataDir`);
    try {
      resolvePreset(c.config as Parameters<typeof resolvePreset>[0]);
    } catch (e) {
      throw new TclError(`${file}: run ${describeConfig(c.config)}: ${(e as Error).message}`);
    }
  }
  return spec;
}

/** Reads and validates a spec file (relative paths inside are relative to the file). */
export async function readSpec(file: string): Promise<SweepSpec> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new TclError(`${file}: cannot read the sweep spec (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new TclError(`${file}: not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  return validateSpec(raw, { where: file, baseDir: path.dirname(path.resolve(file)) });
}

function describeConfig(c: RunConfig): string {
  return Object.entries(c)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

/** base × runs × grid, in order (grid's last key fastest); no checks. */
function expandConfigs(spec: SweepSpec): Array<{ config: RunConfig; label?: string }> {
  let out: Array<{ config: RunConfig; label?: string }> = (spec.runs ?? [{}]).map(({ label, ...r }) => ({ config: { ...spec.base, ...r }, label }));
  for (const [k, vs] of Object.entries(spec.grid)) {
    out = out.flatMap((c) => vs.map((v) => ({ config: { ...c.config, [k]: v }, label: c.label })));
  }
  return out;
}

/** A value as part of a directory name: model paths by their file stem, anything outside [A-Za-z0-9.+-] as '-'. */
function idPart(key: string, v: SpecValue): string {
  const s = key === 'model' || key === 'dataDir' ? path.basename(String(v)).replace(/\.json$/, '') : String(v);
  return s.replace(/[^A-Za-z0-9.+-]+/g, '-').replace(/^-+|-+$/g, '') || 'x';
}

/** Keys whose value is not the same in every run, in the order they first appear (seed last). */
function varyingKeys(configs: RunConfig[]): string[] {
  const keys: string[] = [];
  for (const c of configs) for (const k of Object.keys(c)) if (!keys.includes(k)) keys.push(k);
  const varying = keys.filter((k) => configs.some((c) => c[k] !== configs[0][k]));
  return [...varying.filter((k) => k !== 'seed'), ...varying.filter((k) => k === 'seed')];
}

/**
 * The spec's runs as jobs with directories under `runsDir`. Ids name the varying keys
 * (`method-tcl_deadZone-quantile-0.99_seed-1`; `run` when there is one run) and are stable: the
 * same spec gives the same ids. The group is the entry's label, else the varying keys but the
 * seed (`method=tcl, deadZone=fixed`), else the spec's name.
 */
export function expandSpec(spec: SweepSpec, runsDir: string): RunJob[] {
  const entries = expandConfigs(spec);
  const varying = varyingKeys(entries.map((e) => e.config));
  const seen = new Map<string, number>();
  return entries.map((e, i) => {
    const parts = varying.filter((k) => e.config[k] !== undefined).map((k) => `${k}-${idPart(k, e.config[k])}`);
    const id = parts.join('_') || 'run';
    const other = seen.get(id);
    if (other !== undefined) throw new TclError(`sweep '${spec.name}': runs ${other + 1} and ${i + 1} would share the directory '${id}' (values that differ only in characters a directory name cannot hold)`);
    seen.set(id, i);
    const byKeys = varying
      .filter((k) => k !== 'seed' && e.config[k] !== undefined)
      .map((k) => `${k}=${e.config[k]}`)
      .join(', ');
    return { id, config: e.config, group: e.label ?? (byKeys || spec.name), seed: Number(e.config.seed ?? 0), dir: path.resolve(runsDir, id) };
  });
}

/** The spec as stored in DIR/spec.json (and compared with it): a fixed key order. */
export function canonicalSpec(spec: SweepSpec): string {
  const { name, base, runs, grid } = spec;
  return JSON.stringify(runs ? { name, base, runs, grid } : { name, base, grid }, null, 2) + '\n';
}
