export * from './audit.js'
