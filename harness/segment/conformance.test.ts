// Replays Segment's recorded `action` conformance cases through an exported destination with
// actions-core's test integration, and writes one answer per case (JSON Lines) for the Python
// side to compare with what was recorded.
//   SEGMENT_DESTINATION   the destination's index.ts (without extension is fine)
//   CONFORMANCE_CASES     a JSON Lines file of cases: {id, action, event, mapping, settings}
//   CONFORMANCE_RESULTS   where to write {id, request: {method, url, json}} or {id, error}
import { readFileSync, writeFileSync } from 'fs'
import nock from 'nock'
import { createTestIntegration } from '@segment/actions-core'
import type { DestinationDefinition, JSONObject, SegmentEvent } from '@segment/actions-core'

interface ActionCase {
  id: string
  action: string
  event: Partial<SegmentEvent>
  mapping: JSONObject | null
  settings: JSONObject
}

function setting(name: string): string {
  const value = process.env[name]
  if (!value) {
    throw new Error(`${name} is not set`)
  }
  return value
}

// eslint-disable-next-line @typescript-eslint/no-var-requires
const destination: DestinationDefinition<unknown> = require(setting('SEGMENT_DESTINATION')).default
const cases: ActionCase[] = readFileSync(setting('CONFORMANCE_CASES'), 'utf8')
  .split('\n')
  .filter((line) => line.trim())
  .map((line) => JSON.parse(line))

// An aggregate error (ajv's payload validation, mapping-kit's mapping validation) joins the
// messages of all its errors; the cases record the first one's, as Segment reports it.
function firstMessage(error: unknown): string {
  if (error && typeof error === 'object' && Symbol.iterator in error) {
    for (const inner of error as Iterable<Error>) {
      return inner.message
    }
  }
  return (error as Error).message
}

async function answer(testCase: ActionCase): Promise<Record<string, unknown>> {
  const testDestination = createTestIntegration(destination)
  nock(/.*/).persist().post(/.*/).reply(200, {})
  nock(/.*/).persist().put(/.*/).reply(200, {})
  nock(/.*/).persist().get(/.*/).reply(200, {})
  try {
    const responses = await testDestination.testAction(testCase.action, {
      event: testCase.event,
      mapping: testCase.mapping ?? undefined,
      settings: testCase.settings,
      useDefaultMappings: testCase.mapping === null
    })
    const request = responses[0].request
    const body = await request.text()
    return { request: { method: request.method, url: request.url, json: JSON.parse(body) } }
  } catch (error) {
    return { error: firstMessage(error) }
  } finally {
    nock.cleanAll()
  }
}

describe(`${destination.name}: recorded action cases`, () => {
  it(`answers all ${cases.length} cases`, async () => {
    const lines: string[] = []
    for (const testCase of cases) {
      lines.push(JSON.stringify({ id: testCase.id, ...(await answer(testCase)) }))
    }
    writeFileSync(setting('CONFORMANCE_RESULTS'), lines.join('\n') + '\n')
    expect(lines).toHaveLength(cases.length)
  })
})
