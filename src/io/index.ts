/** Model and tensor files: atomic writes, a file:// IOHandler without tfjs-node, safetensors. */
export { writeFileAtomic, writeFilesAtomic, type WriteFilesOptions } from './atomic.ts';
export {
  fileSystem,
  loadLayersModelFromFile,
  registerFileRouter,
  MODEL_JSON,
  WEIGHTS_BIN,
  type FileIOHandler,
} from './file-handler.ts';
export {
  decodeSafetensors,
  encodeSafetensors,
  readSafetensors,
  writeSafetensors,
  type SafeTensor,
  type SafeTensors,
  type SafetensorsContent,
} from './safetensors.ts';
