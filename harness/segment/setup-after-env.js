// What Segment's destination tests expect around them: no real network, and each test starts
// without the previous test's interceptors.
const nock = require('nock')

beforeAll(() => {
  nock.disableNetConnect()
})

beforeEach(() => {
  nock.cleanAll()
})

afterAll(() => {
  nock.restore()
  nock.cleanAll()
  nock.enableNetConnect()
})
