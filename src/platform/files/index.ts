export { LocalDiskStore } from './local-disk-store.js'
export {
  assertValidKey,
  InvalidObjectKey,
  ObjectNotFound,
  ObjectStoreError,
  type ObjectInfo,
  type ObjectStore,
  type PutMeta,
} from './object-store.js'
export { openObjectStore } from './open-object-store.js'
export { S3Store } from './s3-store.js'
export {
  ClamdScanner,
  openScanner,
  SCANNER_UNAVAILABLE_MESSAGE,
  ScannerUnavailable,
  type MalwareScanner,
  type ScanResult,
} from './scanner.js'
export { signV4 } from './sigv4.js'
export {
  acceptUpload,
  FILE_KINDS,
  type FileKindName,
  formatBytes,
  SNIFF_BYTES,
  sniffType,
  type SniffedType,
  type UploadCheck,
} from './sniff.js'
export {
  storeUpload,
  type StoredUpload,
  type UploadOptions,
  type UploadProblem,
  UploadRejectedError,
} from './upload.js'
