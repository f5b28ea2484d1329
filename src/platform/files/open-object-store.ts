import { join } from 'node:path'
import type { Config } from '../config.js'
import { LocalDiskStore } from './local-disk-store.js'
import type { ObjectStore } from './object-store.js'
import { S3Store } from './s3-store.js'

/** The store STORAGE names: S3 for a province's servers, local disk (DATA_DIR/files) otherwise. */
export function openObjectStore(config: Pick<Config, 'storage' | 's3' | 'dataDir'>): ObjectStore {
  if (config.storage === 's3') {
    if (!config.s3) throw new Error('STORAGE=s3 without S3 settings: the configuration was not validated')
    return new S3Store(config.s3)
  }
  return new LocalDiskStore(join(config.dataDir, 'files'))
}
