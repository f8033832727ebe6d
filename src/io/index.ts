/** Model and tensor files: atomic writes (and their crash recovery), the run-directory lock, a file:// IOHandler without tfjs-node, safetensors. */
export { recoverInterruptedWrites, settleDir, writeFileAtomic, writeFilesAtomic, type RecoveryReport, type WriteFilesOptions } from './atomic.ts';
export { acquireDirLock, dirLockHolder, LOCK_FILE, type DirLock, type LockHolder } from './lock.ts';
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
