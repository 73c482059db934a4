#!/usr/bin/env node
// Segment's answers, from Segment's own published packages: the ground truth the Python runtime is
// held to (tests/conformance/). Nothing here is ours: triggers go through
// @segment/destination-subscriptions, mappings through @segment/actions-core's mapping-kit, and
// actions through the published "Antavo (Actions)" destination of @segment/action-destinations
// with actions-core's test integration (nock answers its request, nothing leaves the machine).
//
//   node record.js                  JSON Lines on stdin -> one answer line per case on stdout,
//                                   in order, flushed as it goes (a long-lived differential peer)
//   node record.js --publish DIR    writes what Segment publishes for the destination into DIR:
//                                   definition.json and the settings/event/profile JSON Schemas
//   node record.js --rerecord DIR   rewrites `expect` of every case in DIR's *.jsonl (subfolders
//                                   too) and publishes DIR/segment
//
// A case is {id, kind, ...inputs}; an answer is {id, ...expect}. Kinds and their answers are listed
// in tests/conformance/README.md. Times are UTC, as Segment's runtime renders them.
'use strict'
process.env.TZ = 'UTC'

const fs = require('fs')
const path = require('path')
const readline = require('readline')
const nock = require('nock')
const { parseFql, validate: matches } = require('@segment/destination-subscriptions')
const { transform, createTestIntegration, fieldsToJsonSchema } = require('@segment/actions-core')
const validateMapping = require('@segment/actions-core/mapping-kit/validate').default
const destination = require('@segment/action-destinations/dist/destinations/antavo').default

nock.disableNetConnect()

// An aggregate error (ajv's payload validation, mapping-kit's validation) holds several; Segment
// reports the first one's message.
function messages(error) {
  if (error && typeof error === 'object' && Symbol.iterator in error) {
    return Array.from(error, (inner) => inner.message)
  }
  return [error instanceof Error ? error.message : String(error)]
}

// As JSON.stringify leaves it: undefined dropped from objects, null inside arrays.
function asJson(value) {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value))
}

function fql(testCase) {
  const parsed = parseFql(testCase.query)
  if (parsed.error) {
    return { error: 'parse' }
  }
  try {
    return { match: Boolean(matches(parsed, testCase.event)) }
  } catch (error) {
    return { error: 'evaluate' }
  }
}

function mapped(testCase) {
  try {
    return { output: asJson(transform(testCase.mapping, testCase.event)) }
  } catch (error) {
    return { error: messages(error)[0] }
  }
}

function validatedMapping(testCase) {
  try {
    validateMapping(testCase.mapping)
    return { errors: [] }
  } catch (error) {
    return { errors: messages(error) }
  }
}

async function action(testCase) {
  const integration = createTestIntegration(destination)
  nock(/.*/).persist().post(/.*/).reply(200, {})
  nock(/.*/).persist().put(/.*/).reply(200, {})
  nock(/.*/).persist().get(/.*/).reply(200, {})
  try {
    const responses = await integration.testAction(testCase.action, {
      event: testCase.event,
      mapping: testCase.mapping ?? undefined,
      settings: testCase.settings,
      useDefaultMappings: testCase.mapping === null
    })
    const request = responses[0].request
    return { request: { method: request.method, url: request.url, json: JSON.parse(await request.text()) } }
  } catch (error) {
    return { error: messages(error)[0] }
  } finally {
    nock.cleanAll()
  }
}

const KINDS = { fql, transform: mapped, validate_mapping: validatedMapping, action }

async function answer(testCase) {
  const kind = KINDS[testCase.kind]
  if (!kind) {
    return { id: testCase.id, error: `unknown kind ${JSON.stringify(testCase.kind)}; expected one of: ${Object.keys(KINDS).join(', ')}` }
  }
  return { id: testCase.id, ...(await kind(testCase)) }
}

// What Segment publishes about the destination: its definition as a plain object and the schemas
// actions-core derives from the fields (the ones Segment validates settings and payloads with).
function publish(folder) {
  fs.mkdirSync(folder, { recursive: true })
  const actions = {}
  for (const [key, definition] of Object.entries(destination.actions)) {
    const { title, description, defaultSubscription, fields } = definition
    actions[key] = { title, description, defaultSubscription, fields }
  }
  const { name, slug, mode, authentication } = destination
  const files = {
    'definition.json': { name, slug, mode, authentication: { scheme: authentication.scheme, fields: authentication.fields }, actions },
    'settings.schema.json': fieldsToJsonSchema(authentication.fields)
  }
  for (const [key, definition] of Object.entries(destination.actions)) {
    files[`${key}.schema.json`] = fieldsToJsonSchema(definition.fields)
  }
  for (const [name, value] of Object.entries(files)) {
    fs.writeFileSync(path.join(folder, name), JSON.stringify(asJson(value), null, 2) + '\n')
  }
  return Object.keys(files)
}

function caseFiles(folder) {
  return fs
    .readdirSync(folder, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(folder, entry.name)
      if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : caseFiles(full)
      return entry.name.endsWith('.jsonl') ? [full] : []
    })
    .sort()
}

async function rerecord(folder) {
  for (const file of caseFiles(folder)) {
    const cases = fs.readFileSync(file, 'utf8').split('\n').filter((line) => line.trim())
    const lines = []
    for (const line of cases) {
      // answered on a copy: liquidjs's increment/decrement write into the event they render against
      const { id, ...expect } = await answer(JSON.parse(line))
      lines.push(JSON.stringify({ ...JSON.parse(line), id, expect }))
    }
    fs.writeFileSync(file, lines.join('\n') + '\n')
    process.stderr.write(`${path.relative(process.cwd(), file)}: ${cases.length} case(s) recorded\n`)
  }
  const published = publish(path.join(folder, 'segment'))
  process.stderr.write(`${path.join(folder, 'segment')}: ${published.join(', ')}\n`)
}

// One answer per input line, in order; a line that is not JSON is answered, not fatal, so that a
// long-lived peer survives a bad request.
async function serve() {
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
  for await (const line of lines) {
    if (!line.trim()) continue
    let testCase
    try {
      testCase = JSON.parse(line)
    } catch (error) {
      process.stdout.write(JSON.stringify({ id: null, error: `not JSON: ${error.message}` }) + '\n')
      continue
    }
    process.stdout.write(JSON.stringify(await answer(testCase)) + '\n')
  }
}

async function main(argv) {
  const [flag, folder] = argv
  if (flag === '--publish' && folder) return void publish(folder)
  if (flag === '--rerecord' && folder) return rerecord(folder)
  if (flag === undefined) return serve()
  process.stderr.write('usage: node record.js [--publish DIR | --rerecord DIR] (cases as JSON Lines on stdin)\n')
  process.exitCode = 2
}

main(process.argv.slice(2)).catch((error) => {
  process.stderr.write(`${error.stack || error}\n`)
  process.exitCode = 1
})
