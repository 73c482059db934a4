// Jest as segmentio/action-destinations runs a destination's tests (ts-jest, isolated modules,
// Node environment, no network), pointed at a workspace laid out like Segment's repository:
// SEGMENT_WORKSPACE is the folder holding src/destinations/<name>/ and src/lib/.
const path = require('path')

const workspace = process.env.SEGMENT_WORKSPACE
if (!workspace) {
  throw new Error('Set SEGMENT_WORKSPACE to the folder that holds src/destinations/<name>/')
}

module.exports = {
  rootDir: path.resolve(workspace),
  preset: 'ts-jest',
  globals: { 'ts-jest': { isolatedModules: true, tsconfig: path.join(__dirname, 'tsconfig.json') } },
  testEnvironment: 'node',
  setupFilesAfterEnv: [path.join(__dirname, 'setup-after-env.js')],
  testPathIgnorePatterns: ['/node_modules/']
}
