/** The data API: the dataset registry (loadDataset, splits, oneHot) and the IDX reader/writer. */
export {
  loadDataset,
  listDatasets,
  describeDataset,
  datasetNames,
  oneHot,
  SPLITS,
  PAPER_SPLIT,
  type SplitName,
  type Examples,
  type Dataset,
  type DatasetOptions,
  type DatasetInfo,
} from './registry.ts';
export {
  readIdxImages,
  readIdxLabels,
  readIdxHeader,
  decodeIdxImages,
  decodeIdxLabels,
  encodeIdxImages,
  encodeIdxLabels,
  writeIdxImages,
  writeIdxLabels,
  IDX_IMAGES_MAGIC,
  IDX_LABELS_MAGIC,
  type IdxImages,
  type IdxLabels,
  type IdxHeader,
  type WriteIdxOptions,
} from './idx.ts';
export { ensureFashionMnistIdx, fashionMnistCacheDir } from './fashion-mnist.ts';
