/**
 * `tfjs-tcl datasets [--data-dir DIR] [--json]`: the datasets known by name with their sizes,
 * and with --data-dir that directory too (all four IDX files are read and checked, so a
 * corrupt file fails here with a one-line error). Needs no tfjs backend.
 */
import type { Command } from 'commander';
import { describeDataset, listDatasets, type DatasetInfo } from '../data/index.ts';
import { addGlobalOptions, emit } from './common.ts';
import { textTable } from '../report/format.ts';

interface DatasetsOptions {
  json: boolean;
  dataDir?: string;
}

function table(rows: DatasetInfo[]): string[] {
  const header = ['dataset', 'train', 'test', 'image', 'classes', 'paper split', 'source'];
  const cells = rows.map((d) => [
    d.name,
    String(d.trainExamples),
    String(d.testExamples),
    d.imageShape.join('x'),
    String(d.numClasses),
    d.splits.paper.train ? `${d.splits.paper.train} / ${d.splits.paper.test}` : 'too small',
    d.source,
  ]);
  const numeric = new Set([1, 2, 4]);
  return [
    ...textTable([header, ...cells], (c) => !numeric.has(c)).split('\n'),
    '',
    ...rows.map((d) => `${d.name}: ${d.description}`),
    '',
    'splits: paper = train[0:10000] / train[10000:12000]; standard = train file / t10k file',
  ];
}

export function register(program: Command): void {
  addGlobalOptions(
    program
      .command('datasets')
      .description('list the datasets with their sizes; with --data-dir, read and check that directory of IDX files')
      .option('--data-dir <dir>', 'also read and check this directory of train/t10k IDX files'),
  ).action(async (opts: DatasetsOptions) => {
    const datasets = await listDatasets();
    if (opts.dataDir !== undefined) datasets.push(await describeDataset({ dataDir: opts.dataDir }));
    emit(opts, { datasets }, () => table(datasets));
  });
}
