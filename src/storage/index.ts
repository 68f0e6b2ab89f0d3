export { openStore, migrateToLatest, type OpenStoreOptions } from './open-store.js'
